import { expect } from 'chai';
import fc from 'fast-check';
import { AmiInjectionError, AmiStreamParser, messageFromLines, parseCapture, serializeAmi } from './ami-message.js';

/** Properties of the AMI frame parser over generated frames (fast-check; a failure prints its seed and input). */

const line = fc.oneof(
  fc.string({ maxLength: 30 }).map((s) => s.replace(/[\r\n]/g, '')),
  fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,15}$/), fc.string({ maxLength: 30 })).map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, '')}`),
  fc.constantFrom('Response: Follows', '--END COMMAND--', 'Asterisk Call Manager/5.0.1', 'Variable: FROM_DID=+14155550101', 'Event: Newchannel', ''),
);
const stream = fc
  .array(line, { maxLength: 40 })
  .chain((lines) => fc.tuple(fc.constant(lines), fc.constantFrom('\n', '\r\n'), fc.array(fc.nat({ max: 4000 }), { maxLength: 8 })));

describe('AMI frame parser (property-based)', function () {
  this.timeout(30_000);
  it('never throws, and only ever yields string values, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (text) => {
        for (const msg of parseCapture(text)) for (const v of Object.values(msg)) expect(v).to.be.a('string');
      }),
      { numRuns: 800 },
    );
  });

  it('yields the same messages however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(stream, ([lines, eol, cuts]) => {
        const text = lines.join(eol) + eol;
        const whole = parseCapture(text);
        const parser = new AmiStreamParser();
        const chunked = [];
        let at = 0;
        for (const cut of [...cuts].map((c) => c % (text.length + 1)).sort((a, b) => a - b)) {
          chunked.push(...parser.push(text.slice(at, cut)));
          at = cut;
        }
        chunked.push(...parser.push(text.slice(at)), ...parser.end());
        expect(chunked).to.deep.equal(whole);
      }),
      { numRuns: 500 },
    );
  });

  it('reads back what it serialises, and refuses a line break in any key or value', () => {
    const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,12}$/);
    const value = fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ''));
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(key, value), { maxLength: 8, selector: ([k]) => k.toLowerCase() }), (headers) => {
        const [msg] = parseCapture(serializeAmi(headers));
        for (const [k, v] of headers) expect(msg?.[k.toLowerCase()], k).to.equal(v);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(key, value, fc.constantFrom('\r', '\n', '\r\n'), fc.boolean(), (k, v, brk, inKey) => {
        const pair: [string, string] = inKey ? [`${k}${brk}Action: Originate`, v] : [k, `${v}${brk}Action: Originate`];
        expect(() => serializeAmi([pair])).to.throw(AmiInjectionError);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps the first of repeated keys and every value under key[]', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 10 }).map((s) => s.replace(/[\r\n]/g, '')),
          { minLength: 2, maxLength: 6 },
        ),
        (values) => {
          const msg = messageFromLines(values.map((v) => `Foo: ${v}`));
          expect(msg.foo).to.equal(values[0]);
          expect(msg['foo[]']).to.equal(values.join('\n'));
        },
      ),
      { numRuns: 500 },
    );
  });
});
