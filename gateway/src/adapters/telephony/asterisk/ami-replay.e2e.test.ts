import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { replayCapture } from '../../../../../scripts/ami-replay.js';
import { SCENARIOS } from '../../../../test/helpers/ami-scenarios.js';
import { listSharedFixtures, readSharedFixture, sharedFixturesDir } from '../../../../test/helpers/shared-fixtures.js';

/**
 * Every AMI capture, converted to CRLF and written in random 1-97 byte chunks by the loopback AMI server, through the
 * real asterisk-manager-based client and the normaliser.
 */

const EXPECTED: Record<string, { contexts: string[]; calls: object[] }[]> = {
  'asterisk-pjsip-freepbx_answered-internal.txt': [
    {
      contexts: [],
      calls: [{ id: '1770888534.43', did: '1986', caller: '21', outcome: 'completed', answeredBy: 'human', ringSeconds: null, talkSeconds: null }],
    },
    {
      contexts: ['from-internal'],
      calls: [{ id: '1770888534.43', did: '1986', caller: '21', outcome: 'completed', answeredBy: 'human', ringSeconds: null, talkSeconds: null }],
    },
    { contexts: ['from-pstn'], calls: [] },
  ],
  'asterisk-pjsip-freepbx_unanswered-cancel.txt': [
    {
      contexts: [],
      calls: [{ id: '1770888559.46', did: '21', caller: '1986', outcome: 'canceled', answeredBy: null, ringSeconds: null, talkSeconds: 0 }],
    },
  ],
  'panoramisk_asterisk11_originate-answered-call.txt': [
    { contexts: [], calls: [] },
    {
      contexts: ['default'],
      calls: [{ id: '1414510600.0', did: '259', caller: null, outcome: 'completed', answeredBy: 'human', ringSeconds: 9, talkSeconds: 9 }],
    },
  ],
};

/** Extensions and names are not phone numbers; the scenarios' numbers are already E.164. */
const e164Of = (v: string | null): string | null => (v && /^\+\d{8,15}$/.test(v) ? v : null);
const withE164 = (calls: readonly object[]): object[] =>
  calls.map((c) => {
    const { did, caller, ...rest } = c as { did: string | null; caller: string | null };
    const { id, ...tail } = rest as { id: string };
    return { id, did, caller, didE164: e164Of(did), callerE164: e164Of(caller), ...tail };
  });

describe('ami:replay over a loopback AMI socket', function () {
  this.timeout(60_000);

  for (const file of listSharedFixtures('ami', '.txt')) {
    const cases = EXPECTED[file] ?? [{ contexts: [], calls: [] }];
    for (const c of cases) {
      it(`${file} (inbound contexts: ${c.contexts.join(',') || 'inferred'})`, async () => {
        const text = readSharedFixture('ami', file);
        expect(await replayCapture(text, { contexts: c.contexts })).to.deep.equal(withE164(c.calls));
        // Delivered twice over (debug-log duplicates), and with an MD5 login: same calls.
        expect(await replayCapture(text, { contexts: c.contexts, duplicate: true, md5: true })).to.deep.equal(withE164(c.calls));
      });
    }
  }

  for (const [name, make] of Object.entries(SCENARIOS)) {
    it(`trunk scenario ${name} with Timestamp headers gives durations`, async () => {
      const s = make();
      expect(await replayCapture(s.flow.text(), { contexts: ['from-pstn'] })).to.deep.equal(withE164(s.expected));
    });
  }

  it('all scenarios in one capture, inbound channels inferred', async () => {
    const text = Object.values(SCENARIOS)
      .map((make) => make().flow.text())
      .join('');
    const expected = Object.values(SCENARIOS).flatMap((make) => [...make().expected, ...(make().alsoInferred ?? [])]);
    expect(await replayCapture(text, { contexts: [] })).to.have.deep.members(withE164(expected));
  });

  it('npm run -s ami:replay prints only JSON lines on stdout', async () => {
    const repo = new URL('../../../../../', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(
      'node',
      [
        '--import',
        'tsx',
        'scripts/ami-replay.ts',
        path.join(sharedFixturesDir('ami'), 'asterisk-pjsip-freepbx_unanswered-cancel.txt'),
        '--inbound-context',
        'from-internal',
      ],
      { cwd: repo, timeout: 30_000 },
    );
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).to.deep.equal([
      {
        id: '1770888559.46',
        did: '21',
        caller: '1986',
        didE164: null,
        callerE164: null,
        outcome: 'canceled',
        answeredBy: null,
        ringSeconds: null,
        talkSeconds: 0,
      },
    ]);
  });
});
