import { expect } from 'chai';
import { readSharedFixture } from '../../../../test/helpers/shared-fixtures.js';
import {
  AmiInjectionError,
  AmiStreamParser,
  allValues,
  eventTimestamp,
  fromManagerObject,
  parseCapture,
  serializeAmi,
  splitCaptureBlocks,
} from './ami-message.js';

const crlf = (text: string): string => text.replace(/\n/g, '\r\n');

describe('AMI messages', () => {
  it('parses a CRLF stream cut at every possible byte, skipping the banner', () => {
    const wire = crlf(readSharedFixture('ami', 'panoramisk_login_ok.txt'));
    const whole = new AmiStreamParser().push(wire);
    for (let cut = 1; cut < wire.length; cut++) {
      const p = new AmiStreamParser();
      const got = [...p.push(wire.slice(0, cut)), ...p.push(wire.slice(cut))];
      expect(got, `cut at ${cut}`).to.deep.equal(whole);
    }
    expect(whole.map((m) => m['action'] ?? m['response'] ?? m['event'])).to.deep.equal(['login', 'Success', 'FullyBooted']);
    const p = new AmiStreamParser();
    p.push(wire);
    expect(p.banner).to.equal('Asterisk Call Manager/1.3');
  });

  it('keeps values with ": ", empty values, <unknown> and Uniqueids as strings', () => {
    const [m] = parseCapture('Event: X\nAccountCode: \nConnectedLineNum: <unknown>\nAppData: a: b\nUniqueid: 1770888509.40\nEmpty:\n\n');
    expect(m).to.deep.equal({ event: 'X', accountcode: '', connectedlinenum: '<unknown>', appdata: 'a: b', uniqueid: '1770888509.40', empty: '' });
  });

  it('reads legacy Response: Follows bodies up to --END COMMAND--', () => {
    const [, res] = parseCapture(readSharedFixture('ami', 'panoramisk_rasterisk_command.txt'));
    expect(res).to.include({ response: 'Follows', actionid: 'generated_id', privilege: 'Command' });
    expect(allValues(res!, 'output')).to.deep.equal([
      'Channel              Location             State   Application(Data)             ',
      '0 active channels',
      '0 active calls',
      '2 calls processed',
    ]);
    expect(splitCaptureBlocks(readSharedFixture('ami', 'panoramisk_rasterisk_command.txt'))).to.have.length(2);
    expect(splitCaptureBlocks('Event: A\r\nX: 1\r\n  \r\nEvent: B\n')).to.deep.equal([['Event: A', 'X: 1'], ['Event: B']]);
  });

  it('collects repeated keys and channel variables', () => {
    const [m] = parseCapture('Event: Newchannel\nChanVariable: FROM_DID=+15551230000\nChanVariable: CAMPAIGN=a=b\nDestChanVariable: X=1\n\n');
    expect(m!['chanvariable.FROM_DID']).to.equal('+15551230000');
    expect(m!['chanvariable.CAMPAIGN']).to.equal('a=b');
    expect(m!['destchanvariable.X']).to.equal('1');
    expect(allValues(m!, 'chanvariable')).to.have.length(2);
  });

  it('undoes asterisk-manager quirks: VarSet name as an object key, DestChanVariable arrays', () => {
    // What asterisk-manager 0.2.0 emits for `Variable: __FROM_DID` / `Value: 123` and repeated DestChanVariable.
    const varset = fromManagerObject({ event: 'VarSet', variable: { __FROM_DID: '' }, value: '123', uniqueid: '1770888509.40' });
    expect(varset).to.include({ event: 'VarSet', variable: '__FROM_DID', value: '123', uniqueid: '1770888509.40' });
    const dial = fromManagerObject({ event: 'DialBegin', chanvariable: { FROM_DID: '555' }, destchanvariable: ['FROM_DID=555', 'CAMPAIGN=x'] });
    expect(dial).to.include({ 'chanvariable.FROM_DID': '555', 'destchanvariable.FROM_DID': '555', 'destchanvariable.CAMPAIGN': 'x' });
  });

  it('serialises with CRLF and refuses header injection', () => {
    expect(serializeAmi([['Action', 'Ping']])).to.equal('Action: Ping\r\n\r\n');
    expect(() => serializeAmi([['Value', 'x\r\nAction: Hangup']])).to.throw(AmiInjectionError);
  });

  it('reads Timestamp headers as event times', () => {
    expect(eventTimestamp({ timestamp: '1409169929.412068' })?.toISOString()).to.equal('2014-08-27T20:05:29.412Z');
    expect(eventTimestamp({})).to.equal(null);
  });
});
