import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';
import type { CustomerLead, PgCustomerLeadStore } from '../leads/customer-lead-store.js';
import { DEFAULT_SITE_SETTINGS } from '../sites/site-types.js';
import type { Inquiry } from './inquiry-types.js';

const HOUR_MS = 3_600_000;

export interface InquiryLeadMembership {
  readonly lead: CustomerLead;
  /** The inquiry joined a lead an earlier call or inquiry started. */
  readonly repeat: boolean;
}

/**
 * Inquiries join customer leads by the rule calls follow (leads/lead-assigner.ts): the same contact on the same site
 * within `leadWindowHours` of the lead's start. The contact is the phone (E.164, the form a caller id has, so a form
 * and a later call from that phone meet) or else the email address; an inquiry with both joins a lead of either.
 * Runs in the transaction that stores the inquiry, under the same advisory lock key a call of that phone takes.
 */
export class InquiryLeadJoiner {
  constructor(private readonly deps: { leads: PgCustomerLeadStore }) {}

  async join(trx: DbOrTrx, inquiry: Inquiry): Promise<InquiryLeadMembership | null> {
    if (inquiry.leadId) {
      const lead = await this.deps.leads.get(trx, inquiry.accountId, inquiry.leadId);
      return lead ? { lead, repeat: lead.firstInquiryId !== inquiry.id } : null;
    }
    const contacts = [inquiry.phone, inquiry.email].filter((c): c is string => !!c);
    if (!inquiry.siteId || !contacts.length) return null;
    const siteId = inquiry.siteId;
    // Sorted: two inquiries naming the same two contacts take the locks in one order.
    for (const c of [...contacts].sort()) {
      await trx.raw('select pg_advisory_xact_lock(hashtext(?))', [`lead:${inquiry.accountId}:${siteId}:${c}`]);
    }
    const hours = await this.windowHours(trx, siteId);
    const at = inquiry.receivedAt;
    const since = new Date(at.getTime() - hours * HOUR_MS);
    let joinable: CustomerLead | null = null;
    if (hours > 0) {
      for (const c of contacts) {
        const l = await this.deps.leads.findJoinable(trx, inquiry.accountId, siteId, c, since, at);
        if (l && (!joinable || l.startedAt > joinable.startedAt)) joinable = l;
      }
    }
    if (joinable) {
      await this.deps.leads.addInquiry(trx, inquiry.accountId, joinable.id, at);
      await trx('inquiries').where({ account_id: inquiry.accountId, id: inquiry.id }).update({ lead_id: joinable.id });
      return { lead: joinable, repeat: true };
    }
    const lead = await this.deps.leads.create(trx, {
      id: newId(),
      accountId: inquiry.accountId,
      siteId,
      contact: contacts[0]!,
      kind: inquiry.kind,
      firstInquiryId: inquiry.id,
      startedAt: at,
      channelId: inquiry.channelId,
      sessionId: inquiry.sessionId,
      visitorId: inquiry.visitorId,
    });
    await trx('inquiries').where({ account_id: inquiry.accountId, id: inquiry.id }).update({ lead_id: lead.id });
    return { lead, repeat: false };
  }

  private async windowHours(trx: DbOrTrx, siteId: string): Promise<number> {
    const row = (await trx('sites').where({ id: siteId }).first(trx.raw("settings->>'leadWindowHours' as h"))) as { h: string | null } | undefined;
    return row?.h == null ? DEFAULT_SITE_SETTINGS.leadWindowHours : Number(row.h);
  }
}
