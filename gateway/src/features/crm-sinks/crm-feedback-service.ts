import { timingSafeEqual } from 'node:crypto';
import type { Db } from '../../adapters/db/knex.js';
import { verifyWebhook } from '../../adapters/crm/standard-webhooks.js';
import { BadDataError, NotFoundError, UnauthorizedError } from '../../errors/app-error.js';
import type { Clock } from '../../shared/clock.js';
import type { SecretBox } from '../../shared/secret-box.js';
import type { Conversion, PgConversionStore } from '../conversions/conversion-store.js';
import type { PgCrmLeadStore } from '../leads/crm-lead-store.js';
import { hashFeedbackToken } from './crm-sink-service.js';
import type { PgCrmSinkStore } from './crm-sink-store.js';

export interface CrmFeedback {
  readonly callId?: string;
  readonly externalRecordId?: string;
  readonly stage: string;
  readonly status: 'won' | 'lost' | 'open';
  readonly amount?: number;
  readonly currency?: string;
  readonly occurredAt?: string;
}

export interface FeedbackCredentials {
  readonly bearer: string | null;
  readonly webhook: { id: string | undefined; timestamp: string | undefined; signature: string | undefined };
  readonly rawBody: string | null;
}

/** A CRM reports a lead's stage and revenue; we store it as a conversion of the call for the reports. */
export class CrmFeedbackService {
  constructor(
    private readonly deps: {
      db: Db;
      sinks: PgCrmSinkStore;
      leads: PgCrmLeadStore;
      conversions: PgConversionStore;
      box: SecretBox;
      clock: Clock;
    },
  ) {}

  async record(sinkId: string, creds: FeedbackCredentials, body: CrmFeedback): Promise<{ conversion: Conversion; created: boolean }> {
    const { db } = this.deps;
    const sink = await this.deps.sinks.getForFeedback(db, sinkId);
    // Unknown sink and bad credentials look the same from outside.
    if (!sink || !this.authorised(sink, creds)) throw new UnauthorizedError('A valid feedback token or webhook signature is required');
    if (!body.callId && !body.externalRecordId) throw new BadDataError('callId or externalRecordId is required');
    const lead = body.callId
      ? await this.deps.leads.get(db, sink.accountId, sink.id, body.callId)
      : await this.deps.leads.findByExternalId(db, sink.accountId, sink.id, body.externalRecordId!);
    if (!lead) throw new NotFoundError('No lead of this sink matches that call or CRM record');
    return this.deps.conversions.upsert(db, {
      accountId: sink.accountId,
      callId: lead.callId,
      sinkId: sink.id,
      externalRecordId: lead.externalRecordId,
      stage: body.stage,
      status: body.status,
      revenue: body.amount ?? null,
      currency: body.currency ?? null,
      occurredAt: body.occurredAt ? new Date(body.occurredAt) : this.deps.clock.now(),
    });
  }

  private authorised(sink: { feedbackTokenHash: string | null; secretsSealed: string | null; kind: string }, creds: FeedbackCredentials): boolean {
    if (creds.bearer && sink.feedbackTokenHash) {
      const given = Buffer.from(hashFeedbackToken(creds.bearer), 'hex');
      const stored = Buffer.from(sink.feedbackTokenHash, 'hex');
      if (given.length === stored.length && timingSafeEqual(given, stored)) return true;
    }
    if (sink.kind === 'webhook' && creds.webhook.signature && creds.rawBody !== null && sink.secretsSealed) {
      const secret = (JSON.parse(this.deps.box.open(sink.secretsSealed)) as { secret?: string }).secret;
      if (secret) return verifyWebhook(secret, creds.webhook, creds.rawBody, this.deps.clock.nowMs());
    }
    return false;
  }
}
