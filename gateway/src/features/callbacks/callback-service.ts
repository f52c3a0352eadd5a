import type { Knex } from 'knex';
import type { Attribution } from '../attribution/attribution-types.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import { formatInternational } from '../../shared/phone.js';
import type { CallbackScheduler } from '../inquiries/inquiry-intake.js';
import type { InquirySettings } from '../inquiries/inquiry-settings.js';
import type { PgInquiryStore } from '../inquiries/inquiry-store.js';
import type { Inquiry } from '../inquiries/inquiry-types.js';
import type { SiteStore } from '../sites/site-store-type.js';
import type { Site } from '../sites/site-types.js';
import { newId } from '../../shared/ids.js';
import type { CallbackDialer } from './callback-dialer.js';
import { ct, localTime } from './callback-texts.js';
import { nextOpening } from './opening-hours.js';

/** The placed call is the request's visit's for certain: the visitor asked for it. */
export function callbackAttribution(inquiry: Inquiry, at: Date): Attribution {
  const visit = { sessionId: inquiry.sessionId, visitorId: inquiry.visitorId };
  return {
    method: 'callback',
    ...visit,
    channelId: inquiry.channelId,
    score: 1,
    candidates: inquiry.sessionId ? [{ ...visit, method: 'callback', score: 1, reason: 'The visit requested this callback' }] : [],
    assignedBy: 'auto',
    assignedAt: at.toISOString(),
  };
}

/**
 * Callback requests: placed at once within the site's opening hours, else queued for the next opening (the visitor
 * is told when). A placed callback is a `calls` row with direction "callback", attributed to the request's visit and
 * in the request's lead, so its progress (status webhooks) reaches the CRM as an update of that lead.
 */
export class CallbackService implements CallbackScheduler {
  constructor(
    private readonly deps: {
      db: Knex;
      inquiries: PgInquiryStore;
      sites: SiteStore;
      settingsOf: (site: Site) => Promise<InquirySettings>;
      dialers: { twilio: CallbackDialer | null; asterisk: CallbackDialer | null };
      clock: Clock;
      logger: Logger;
    },
  ) {}

  async requested(site: Site, settings: InquirySettings, inquiry: Inquiry) {
    const now = this.deps.clock.now();
    const locale = site.settings.locale;
    const opening = nextOpening(settings.callback.hours, site.timezone, now);
    if (!opening) {
      await this.deps.inquiries.update(this.deps.db, inquiry.accountId, inquiry.id, { status: 'queued', dueAt: null });
      return { status: 'queued' as const, dueAt: null, message: ct(locale, 'never') };
    }
    if (opening.getTime() > now.getTime()) {
      await this.deps.inquiries.update(this.deps.db, inquiry.accountId, inquiry.id, { status: 'queued', dueAt: opening });
      return { status: 'queued' as const, dueAt: opening, message: ct(locale, 'later', { time: localTime(opening, site.timezone, locale) }) };
    }
    const status = await this.place(site, settings, inquiry);
    return { status, dueAt: null, message: ct(locale, status === 'failed' ? 'never' : 'now') };
  }

  /** The job: queued callbacks whose opening has come. */
  async placeDue(limit = 20): Promise<number> {
    const due = await this.deps.inquiries.dueCallbacks(this.deps.db, this.deps.clock.now(), limit);
    for (const inquiry of due) {
      const row = (await this.deps.db('sites').where({ id: inquiry.siteId }).first('public_key')) as { public_key: string } | undefined;
      const site = row ? await this.deps.sites.getByPublicKey(this.deps.db, row.public_key) : null;
      if (!site) continue;
      await this.place(site, await this.deps.settingsOf(site), inquiry);
    }
    return due.length;
  }

  private async place(site: Site, settings: InquirySettings, inquiry: Inquiry): Promise<Inquiry['status']> {
    const c = settings.callback;
    const dialer = this.deps.dialers[c.provider];
    const log = this.deps.logger.child({ inquiryId: inquiry.id, siteId: site.id });
    if (!dialer || !c.businessNumber || !c.callerId || !inquiry.phone) {
      log.warn('callback cannot be placed: provider, business number, caller id or visitor phone missing');
      await this.deps.inquiries.update(this.deps.db, inquiry.accountId, inquiry.id, { status: 'failed' });
      return 'failed';
    }
    await this.deps.inquiries.update(this.deps.db, inquiry.accountId, inquiry.id, { status: 'placing' });
    try {
      const placed = await dialer.place({
        inquiryId: inquiry.id,
        accountId: inquiry.accountId,
        business: c.businessNumber,
        visitor: inquiry.phone,
        callerId: c.callerId,
        whisper: ct(site.settings.locale, 'whisper', { number: formatInternational(inquiry.phone) }),
        language: site.settings.locale === 'ru' ? 'ru-RU' : 'en-US',
        record: site.settings.recordCalls,
        asteriskContext: c.asteriskContext,
      });
      const callId = newId();
      const now = this.deps.clock.now();
      await this.deps.db.transaction(async (trx) => {
        await trx('calls').insert({
          id: callId,
          account_id: inquiry.accountId,
          site_id: site.id,
          provider: placed.provider,
          provider_call_id: placed.providerCallId,
          tracking_e164: c.callerId,
          caller: inquiry.phone,
          forward_to: c.businessNumber,
          status: 'ringing',
          started_at: now,
          session_id: inquiry.sessionId,
          visitor_id: inquiry.visitorId,
          channel_id: inquiry.channelId,
          attribution: JSON.stringify(callbackAttribution(inquiry, now)),
          direction: 'callback',
          // The callback request's own lead: the call is that inquiry's, not a new one.
          lead_id: inquiry.leadId,
        });
        await this.deps.inquiries.update(trx, inquiry.accountId, inquiry.id, { status: 'placed', callId });
      });
      return 'placed';
    } catch (err) {
      log.warn({ err }, 'callback not placed');
      await this.deps.inquiries.update(this.deps.db, inquiry.accountId, inquiry.id, { status: 'failed' });
      return 'failed';
    }
  }

  async close(): Promise<void> {
    await Promise.all([this.deps.dialers.twilio?.close?.(), this.deps.dialers.asterisk?.close?.()]);
  }
}
