import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { replayCapture } from '../../../../../scripts/ami-replay.js';
import { renumberCapture } from '../../../../test/helpers/renumber-capture.js';
import { readSharedFixture } from '../../../../test/helpers/shared-fixtures.js';
import type { CountryCode } from '../../../shared/phone.js';

/**
 * The FreePBX capture of an answered call (caller 21 dials 1986), with the DID and the caller's number rewritten
 * into the formats trunks of other markets deliver, replayed over loopback AMI in random chunks.
 */
const CAPTURE = 'asterisk-pjsip-freepbx_answered-internal.txt';

const CASES: { name: string; country: CountryCode; did: string; caller: string; didE164: string; callerE164: string }[] = [
  { name: 'Russia, 8 + 10 digits', country: 'RU', did: '84951234561', caller: '89161234567', didE164: '+74951234561', callerE164: '+79161234567' },
  { name: 'Russia, 10 digits', country: 'RU', did: '4951234561', caller: '9161234567', didE164: '+74951234561', callerE164: '+79161234567' },
  { name: 'Russia, +7', country: 'RU', did: '+74951234561', caller: '+79161234567', didE164: '+74951234561', callerE164: '+79161234567' },
  { name: 'Russia, 7 without +', country: 'RU', did: '74951234561', caller: '79161234567', didE164: '+74951234561', callerE164: '+79161234567' },
  {
    name: 'Russia, 810 international prefix',
    country: 'RU',
    did: '84951234561',
    caller: '810442079460000',
    didE164: '+74951234561',
    callerE164: '+442079460000',
  },
  {
    name: 'United Kingdom, 0 trunk prefix',
    country: 'GB',
    did: '02079460000',
    caller: '07700900123',
    didE164: '+442079460000',
    callerE164: '+447700900123',
  },
  {
    name: 'Germany, 0 trunk prefix',
    country: 'DE',
    did: '03012345678',
    caller: '015112345678',
    didE164: '+493012345678',
    callerE164: '+4915112345678',
  },
  {
    name: 'Kazakhstan, 8 trunk prefix',
    country: 'KZ',
    did: '87172123456',
    caller: '87011234567',
    didE164: '+77172123456',
    callerE164: '+77011234567',
  },
];

describe('ami:replay with national number formats', function () {
  this.timeout(60_000);
  const original = readSharedFixture('ami', CAPTURE);

  for (const c of CASES) {
    it(`${c.name}: ${c.did} from ${c.caller} → ${c.didE164} from ${c.callerE164}`, async () => {
      const text = renumberCapture(original, { '1986': c.did, '21': c.caller });
      const calls = await replayCapture(text, { contexts: ['from-internal'], country: c.country });
      expect(calls).to.deep.equal([
        {
          id: '1770888534.43',
          did: c.did,
          caller: c.caller,
          didE164: c.didE164,
          callerE164: c.callerE164,
          outcome: 'completed',
          answeredBy: 'human',
          ringSeconds: null,
          talkSeconds: null,
        },
      ]);
    });
  }

  it('without a country a national DID is not guessed into E.164', async () => {
    const text = renumberCapture(original, { '1986': '84951234561', '21': '89161234567' });
    const [call] = await replayCapture(text, { contexts: ['from-internal'] });
    // "8495…" read as international would be Vietnam (+84); "8916…" is no country code at all.
    expect(call).to.include({ did: '84951234561', caller: '89161234567', callerE164: null });
    expect(call?.didE164).to.not.equal('+74951234561');
  });

  it('npm run -s ami:replay -- --country RU prints raw and E.164 numbers side by side', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ami-national-'));
    try {
      const file = path.join(dir, 'capture.txt');
      writeFileSync(file, renumberCapture(original, { '1986': '84951234561', '21': '89161234567' }));
      const repo = new URL('../../../../../', import.meta.url).pathname;
      const { stdout } = await promisify(execFile)('node', ['--import', 'tsx', 'scripts/ami-replay.ts', file, '--country', 'RU'], {
        cwd: repo,
        timeout: 30_000,
      });
      const [line] = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(line).to.include({ did: '84951234561', didE164: '+74951234561', caller: '89161234567', callerE164: '+79161234567' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
