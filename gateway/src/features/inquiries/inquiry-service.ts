import type { Knex } from 'knex';
import type { DbOrTrx } from '../../adapters/db/knex.js';
import { BadDataError, TooManyRequestsError } from '../../errors/app-error.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import { newId } from '../../shared/ids.js';
import { isPhoneCountry, toE164 } from '../../shared/phone.js';
import type { PgCrmSinkStore } from '../crm-sinks/crm-sink-store.js';
import { LEAD_TOPIC } from '../leads/lead-outbox-hook.js';
import type { OutboxStore } from '../outbox/outbox-store-type.js';
import type { Site } from '../sites/site-types.js';
import type { InquiryLeadJoiner } from './inquiry-lead-joiner.js';
import { maskFields } from './inquiry-privacy.js';
import type { InquirySettings } from './inquiry-settings.js';
import type { PgInquiryStore } from './inquiry-store.js';
import type { Inquiry, InquirySubmission } from './inquiry-types.js';

/** What an inquiry's outbox row carries: ids only, the handler reads the inquiry as it is at delivery time. */
export interface InquiryOutboxPayload {
  readonly inquiryId: string;
  readonly leadId: string | null;
  readonly trigger: 'inquiry.created';
}

export const inquiryDedupeKey = (sinkId: string, inquiryId: string): string => `inquiry:${sinkId}:${inquiryId}:created`;

// RFC 5321 caps a path at 254; the shape check is the practical one (a dot in the domain, no spaces).
const EMAIL_RE = /^[^\s@<>(),;:"]{1,64}@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]{2,}$/;
const MAX_MESSAGE = 10_000;

export function normaliseEmail(raw: string | null | undefined): string | null {
  const v = raw?.trim().toLowerCase();
  return v && v.length <= 254 && EMAIL_RE.test(v) ? v : null;
}

export type RecordResult =
  | { readonly outcome: 'stored'; readonly inquiry: Inquiry; readonly created: boolean }
  | { readonly outcome: 'ignored'; readonly reason: 'honeypot' | 'too_fast' };

/** Spam signals the endpoints read from the request. */
export interface SpamSignals {
  readonly honeypot?: string | null | undefined;
  readonly secondsOnPage?: number | null | undefined;
}

/**
 * Stores an inquiry once (a resubmission with the same external key is the same inquiry), attributes it to its visit,
 * gives it its customer lead and queues one delivery per active CRM sink of the site, all in one transaction, so
 * every sink gets it exactly once whatever retries or replicas do.
 */
export class InquiryService {
  constructor(
    private readonly deps: {
      db: Knex;
      inquiries: PgInquiryStore;
      joiner: InquiryLeadJoiner;
      sinks: PgCrmSinkStore;
      outbox: OutboxStore;
      clock: Clock;
      logger: Logger;
      wake: () => void;
    },
  ) {}

  /**
   * `deliver: false` stores the inquiry and its lead without queueing CRM deliveries: the demo's sample inquiries must
   * never reach a CRM the operator configured (its sample outbox rows are written apart, marked as samples).
   */
  async record(
    site: Site,
    settings: InquirySettings,
    sub: InquirySubmission,
    spam: SpamSignals = {},
    opts: { deliver?: boolean } = {},
  ): Promise<RecordResult> {
    const f = settings.forms;
    const browserish = sub.origin === 'widget' || sub.origin === 'server';
    if (browserish && spam.honeypot) return { outcome: 'ignored', reason: 'honeypot' };
    if (browserish && f.minSecondsOnPage !== null && spam.secondsOnPage != null && spam.secondsOnPage < f.minSecondsOnPage) {
      return { outcome: 'ignored', reason: 'too_fast' };
    }
    const country = site.settings.country && isPhoneCountry(site.settings.country) ? site.settings.country : null;
    const phone = sub.phone ? toE164(sub.phone, country) : null;
    if (sub.phone && !phone && sub.kind === 'callback') {
      throw new BadDataError('The phone number is not a possible number', [{ path: 'body/phone', message: `"${sub.phone}" is not a phone number` }]);
    }
    const email = normaliseEmail(sub.email);
    const now = sub.receivedAt ?? this.deps.clock.now();
    if (browserish) await this.checkRates(site.id, settings, now, { phone, email });
    const visit = sub.sessionId ? await this.visit(site, sub.sessionId) : null;
    // Secret-named fields and card numbers are never stored, whoever sent them.
    const fields: Record<string, string> = maskFields(sub.fields ?? {});
    // A number or address the normaliser could not read stays visible to the business rather than lost.
    if (sub.phone && !phone) fields['phone (as entered)'] = sub.phone.slice(0, 100);
    if (sub.email && !email) fields['email (as entered)'] = sub.email.slice(0, 254);
    const result = await this.deps.db.transaction(async (trx) => {
      const { inquiry, created } = await this.deps.inquiries.insert(trx, {
        id: newId(),
        accountId: site.accountId,
        siteId: site.id,
        kind: sub.kind,
        origin: sub.origin,
        externalKey: sub.externalKey ?? null,
        phone,
        email,
        name: sub.name?.trim().slice(0, 200) || null,
        subject: sub.subject?.trim().slice(0, 500) || null,
        message: sub.message ? sub.message.slice(0, MAX_MESSAGE) : null,
        fields,
        pageUrl: sub.pageUrl ?? null,
        // A visit the widget wrote behind its answer may not be in SQL yet: the id is kept and read at delivery.
        sessionId: visit?.id ?? sub.sessionId ?? null,
        visitorId: visit?.visitorId ?? null,
        channelId: visit?.channelId ?? sub.channelId ?? null,
        alias: sub.alias ?? null,
        receivedAt: now,
        ...(sub.kind === 'callback' ? { status: 'received' as const } : {}),
      });
      if (!created) return { inquiry, created, enqueued: 0 };
      const membership = await this.deps.joiner.join(trx, inquiry);
      const leadId = membership?.lead.id ?? (await this.ownLead(trx, inquiry));
      const enqueued = opts.deliver === false ? 0 : await this.enqueue(trx, { ...inquiry, leadId });
      return { inquiry: { ...inquiry, leadId }, created, enqueued };
    });
    if (result.enqueued) this.deps.wake();
    return { outcome: 'stored', inquiry: result.inquiry, created: result.created };
  }

  /** An inquiry without a phone or an address cannot be matched: it is a lead of its own, like an anonymous call. */
  private async ownLead(trx: DbOrTrx, inquiry: Inquiry): Promise<string> {
    const id = newId();
    await trx('leads').insert({
      id,
      account_id: inquiry.accountId,
      site_id: inquiry.siteId,
      contact: 'anonymous',
      kind: inquiry.kind,
      first_inquiry_id: inquiry.id,
      started_at: inquiry.receivedAt,
      last_inquiry_at: inquiry.receivedAt,
      channel_id: inquiry.channelId,
      session_id: inquiry.sessionId,
      visitor_id: inquiry.visitorId,
    });
    await this.deps.inquiries.setLead(trx, inquiry.accountId, inquiry.id, id);
    return id;
  }

  private async enqueue(trx: DbOrTrx, inquiry: Inquiry): Promise<number> {
    const sinks = await this.deps.sinks.listForSite(trx, inquiry.accountId, inquiry.siteId);
    let n = 0;
    for (const sink of sinks) {
      if (sink.status !== 'active') continue;
      const payload: InquiryOutboxPayload = { inquiryId: inquiry.id, leadId: inquiry.leadId, trigger: 'inquiry.created' };
      // Same topic and aggregate (the lead) as call deliveries: a call after a form waits for the form's record.
      const row = await this.deps.outbox.enqueue(trx, {
        accountId: inquiry.accountId,
        topic: LEAD_TOPIC,
        sinkId: sink.id,
        aggregateId: inquiry.leadId ?? inquiry.id,
        dedupeKey: inquiryDedupeKey(sink.id, inquiry.id),
        payload: { ...payload },
      });
      if (row) n++;
    }
    return n;
  }

  private async checkRates(siteId: string, settings: InquirySettings, now: Date, contact: { phone: string | null; email: string | null }) {
    const f = settings.forms;
    const perSite = await this.deps.inquiries.countSince(this.deps.db, siteId, new Date(now.getTime() - 60_000));
    if (perSite >= f.perSitePerMinute) throw new TooManyRequestsError('Too many inquiries on this site; try again in a minute');
    const perAddress = await this.deps.inquiries.countSince(this.deps.db, siteId, new Date(now.getTime() - 3_600_000), contact);
    if (perAddress >= f.perAddressPerHour) throw new TooManyRequestsError('Too many inquiries from this phone or address; try again later');
  }

  private async visit(site: Site, sessionId: string): Promise<{ id: string; visitorId: string; channelId: string | null } | null> {
    const row = (await this.deps
      .db('web_sessions')
      .where({ id: sessionId, site_id: site.id, account_id: site.accountId })
      .first('id', 'visitor_id', 'channel_id')) as { id: string; visitor_id: string; channel_id: string | null } | undefined;
    return row ? { id: row.id, visitorId: row.visitor_id, channelId: row.channel_id } : null;
  }
}
