import type { DbOrTrx } from '../../adapters/db/knex.js';
import type { CrmLeadRecord, LeadTrigger } from './lead-types.js';

const TABLE = 'crm_leads';
const COLUMNS = ['account_id', 'sink_id', 'call_id', 'lead_id', 'external_record_id', 'details', 'last_trigger', 'created_at', 'updated_at'] as const;

interface CrmLeadRow {
  account_id: string;
  sink_id: string;
  call_id: string;
  lead_id: string | null;
  external_record_id: string;
  details: Record<string, unknown>;
  last_trigger: string | null;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: CrmLeadRow): CrmLeadRecord => ({
  sinkId: r.sink_id,
  callId: r.call_id,
  leadId: r.lead_id,
  externalRecordId: r.external_record_id,
  details: r.details,
});

/** Which CRM record each call became, per sink: later events update that record. */
export class PgCrmLeadStore {
  async get(db: DbOrTrx, accountId: string, sinkId: string, callId: string): Promise<CrmLeadRecord | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, sink_id: sinkId, call_id: callId })
      .first()) as CrmLeadRow | undefined;
    return row ? toDomain(row) : null;
  }

  /** The record a customer lead got in this CRM (from its first call's delivery): a repeat call updates it. */
  async getForLead(db: DbOrTrx, accountId: string, sinkId: string, leadId: string): Promise<CrmLeadRecord | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, sink_id: sinkId, lead_id: leadId })
      .orderBy('created_at')
      .first()) as CrmLeadRow | undefined;
    return row ? toDomain(row) : null;
  }

  async findByExternalId(db: DbOrTrx, accountId: string, sinkId: string, externalRecordId: string): Promise<CrmLeadRecord | null> {
    const row = (await db(TABLE)
      .select(...COLUMNS)
      .where({ account_id: accountId, sink_id: sinkId, external_record_id: externalRecordId })
      .first()) as CrmLeadRow | undefined;
    return row ? toDomain(row) : null;
  }

  /** Records (or moves forward) the CRM's record for a call; details merge with what was known. */
  async save(
    db: DbOrTrx,
    r: {
      accountId: string;
      sinkId: string;
      callId: string;
      leadId: string | null;
      externalRecordId: string;
      details: Record<string, unknown>;
      trigger: LeadTrigger;
    },
    now: Date,
  ): Promise<void> {
    await db.raw(
      `INSERT INTO ${TABLE} (account_id, sink_id, call_id, lead_id, external_record_id, details, last_trigger, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?)
       ON CONFLICT (sink_id, call_id) DO UPDATE SET external_record_id = EXCLUDED.external_record_id,
         lead_id = COALESCE(EXCLUDED.lead_id, ${TABLE}.lead_id),
         details = ${TABLE}.details || EXCLUDED.details, last_trigger = EXCLUDED.last_trigger, updated_at = EXCLUDED.updated_at`,
      [r.accountId, r.sinkId, r.callId, r.leadId, r.externalRecordId, JSON.stringify(r.details), r.trigger, now, now],
    );
  }
}
