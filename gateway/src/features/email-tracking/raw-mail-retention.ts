import type { Knex } from 'knex';
import type { Clock } from '../../shared/clock.js';
import { DEFAULT_INQUIRY_SETTINGS } from '../inquiries/inquiry-settings.js';

/**
 * Deletes the stored bytes of inbound mail once they are older than the site's `email.rawMailRetentionDays`,
 * counted from forwarding: a message the outbox has not forwarded yet is never touched, so a relay outage loses
 * nothing. The inquiry itself (sender, subject, text) stays. A stored `null` keeps raw mail; a site whose settings
 * never named the key gets the default.
 */
export class RawMailRetention {
  constructor(private readonly deps: { db: Knex; clock: Clock; batch?: number }) {}

  /** One bounded pass; returns how many messages were deleted. */
  async purge(): Promise<number> {
    const { db } = this.deps;
    const fallback = DEFAULT_INQUIRY_SETTINGS.email.rawMailRetentionDays;
    // The site's days: a number, an explicit null (kept), or absent (the default).
    const days = `(CASE jsonb_typeof(s.settings->'email'->'rawMailRetentionDays')
        WHEN 'number' THEN (s.settings->'email'->>'rawMailRetentionDays')::numeric
        WHEN 'null' THEN NULL
        ELSE ?::numeric END)`;
    const due = db('inbound_mail as m')
      .join('inquiries as i', 'i.id', 'm.inquiry_id')
      .leftJoin('inquiry_settings as s', 's.site_id', 'i.site_id')
      .whereNotNull('i.forwarded_at')
      .whereRaw(`${days} IS NOT NULL`, [fallback])
      .whereRaw(`i.forwarded_at <= ?::timestamptz - ${days} * interval '1 day'`, [this.deps.clock.now(), fallback])
      .limit(this.deps.batch ?? 1000)
      .select('m.inquiry_id');
    return db('inbound_mail').whereIn('inquiry_id', due).del();
  }
}
