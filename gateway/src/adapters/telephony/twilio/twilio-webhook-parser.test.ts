import { readFileSync, readdirSync } from 'node:fs';
import { expect } from 'chai';
import { BadDataError } from '../../../errors/app-error.js';
import { parseDialStatus, parseRecording, parseStatus, parseVoice } from './twilio-webhook-parser.js';
import type { TwilioParams } from './twilio-signature.js';

const dir = new URL('../../../../test/fixtures/webhooks/twilio/', import.meta.url);
const load = (sub: string) =>
  readdirSync(new URL(sub, dir))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({
      name: f,
      ...(JSON.parse(readFileSync(new URL(`${sub}${f}`, dir), 'utf8')) as {
        webhook: string;
        params: TwilioParams;
        expect?: Record<string, unknown>[];
      }),
    }));

const parsers: Record<string, (p: TwilioParams, now: Date) => { events: { type: string }[] }> = {
  voice: parseVoice,
  status: parseStatus,
  'dial-status': parseDialStatus,
  recording: parseRecording,
};

describe('Twilio webhook parameters', () => {
  const now = new Date('2026-01-15T12:00:00Z');
  for (const f of load('good/')) {
    it(`turns ${f.name} into the expected call events`, () => {
      const { events } = parsers[f.webhook]!(f.params, now);
      expect(events.map((e) => e.type)).to.deep.equal(f.expect!.map((e) => e.type));
      for (const [i, want] of f.expect!.entries()) expect(events[i]).to.include(want);
    });
  }
  for (const f of load('bad/')) {
    it(`refuses ${f.name} with a 400`, () => {
      expect(() => parsers[f.webhook]!(f.params, now)).to.throw(BadDataError);
    });
  }

  it('uses the call-progress Timestamp and withholds a non-E.164 caller', () => {
    const { events } = parseStatus(
      { AccountSid: `AC${'a'.repeat(32)}`, CallSid: `CA${'b'.repeat(32)}`, CallStatus: 'completed', Timestamp: 'Sun, 25 Mar 2018 09:53:19 +0000' },
      now,
    );
    expect(events[0]!.occurredAt.toISOString()).to.equal('2018-03-25T09:53:19.000Z');
    const voice = parseVoice({ AccountSid: `AC${'a'.repeat(32)}`, CallSid: `CA${'b'.repeat(32)}`, From: 'Anonymous', To: '+15550001111' }, now);
    expect(voice.call.from).to.equal('anonymous');
  });
});
