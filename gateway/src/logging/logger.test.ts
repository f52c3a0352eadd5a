import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger, maskPhone, maskPhonesInText } from './logger.js';

function capture(): { lines: Record<string, unknown>[]; stream: Writable } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('masks phone numbers keeping only the first and last two digits', () => {
    expect(maskPhone('+14155550100')).to.equal('+14*******00');
    expect(maskPhonesInText('call from +7 (495) 123-45-67 to +14155550100')).to.equal('call from +74*******67 to +14*******00');
  });

  it('masks numbers in fields, nested objects and messages, but not ids', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info' }, stream);
    log.info(
      { caller: '+14155550100', call: { from: '79161234567', uniqueid: '1770888509.40' }, note: 'x +442071838750 y' },
      'ringing from +14155550100',
    );
    await new Promise((r) => setImmediate(r));
    const line = JSON.stringify(lines[0]);
    expect(line).not.to.match(/4155550100|9161234567|2071838750/);
    expect(lines[0]?.msg).to.equal('ringing from +14*******00');
    expect((lines[0]?.call as Record<string, string> | undefined)?.uniqueid).to.equal('1770888509.40');
  });

  it('masks numbers in logged errors (driver details name them) and in URL-encoded text', async () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info' }, stream);
    const err = Object.assign(new Error('duplicate key: Key (e164)=(+14155550101) already exists'), { detail: 'Key (caller)=(+79161234567)' });
    log.error({ err, url: 'https://api.example/Calls?To=%2B14155550102&From=%2b79161234568' }, 'write failed');
    await new Promise((r) => setImmediate(r));
    const line = JSON.stringify(lines[0]);
    expect(line).not.to.match(/4155550101|9161234567|4155550102|9161234568/);
    expect((lines[0]!.err as Record<string, string>).message).to.equal('duplicate key: Key (e164)=(+14*******01) already exists');
  });
});
