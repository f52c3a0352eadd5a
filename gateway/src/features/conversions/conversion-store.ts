import type { DbOrTrx } from '../../adapters/db/knex.js';
import { newId } from '../../shared/ids.js';

export interface Conversion {
  readonly id: string;
  readonly accountId: string;
  readonly callId: string | null;
  /** The customer lead the outcome is about. */
  readonly leadId: string | null;
  readonly sinkId: string;
  readonly externalRecordId: string;
  readonly stage: string;
  readonly status: 'won' | 'lost' | 'open';
  readonly revenue: number | null;
  readonly currency: string | null;
  readonly occurredAt: Date;
}

export type NewConversion = Omit<Conversion, 'id'>;

const TABLE = 'conversions';
const COLUMNS = [
  'id',
  'account_id',
  'call_id',
  'lead_id',
  'sink_id',
  'external_record_id',
  'stage',
  'status',
  'revenue',
  'currency',
  'occurred_at',
] as const;

interface ConversionRow {
  id: string;
  account_id: string;
  call_id: string | null;
  lead_id: string | null;
  sink_id: string;
  external_record_id: string;
  stage: string;
  status: Conversion['status'];
  revenue: number | null;
  currency: string | null;
  occurred_at: Date;
}

const toDomain = (r: ConversionRow): Conversion => ({
  id: r.id,
  accountId: r.account_id,
  callId: r.call_id,
  leadId: r.lead_id,
  sinkId: r.sink_id,
  externalRecordId: r.external_record_id,
  stage: r.stage,
  status: r.status,
  revenue: r.revenue === null ? null : Number(r.revenue),
  currency: r.currency,
  occurredAt: new Date(r.occurred_at),
});

/** Stages and revenue CRMs report for leads: one row per (sink, CRM record, stage); a repeat updates it. */
export class PgConversionStore {
  async upsert(db: DbOrTrx, c: NewConversion): Promise<{ conversion: Conversion; created: boolean }> {
    const result = await db.raw(
      `INSERT INTO ${TABLE} (id, account_id, call_id, lead_id, sink_id, external_record_id, stage, status, revenue, currency, occurred_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sink_id, external_record_id, stage) DO UPDATE SET status = EXCLUDED.status, revenue = EXCLUDED.revenue,
         lead_id = COALESCE(EXCLUDED.lead_id, ${TABLE}.lead_id),
         currency = EXCLUDED.currency, occurred_at = EXCLUDED.occurred_at
       RETURNING ${COLUMNS.join(', ')}, (xmax = 0) AS created`,
      [newId(), c.accountId, c.callId, c.leadId, c.sinkId, c.externalRecordId, c.stage, c.status, c.revenue, c.currency, c.occurredAt],
    );
    const row = result.rows[0] as ConversionRow & { created: boolean };
    return { conversion: toDomain(row), created: row.created };
  }
}
