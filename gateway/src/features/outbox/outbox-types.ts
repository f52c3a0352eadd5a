export type OutboxStatus = 'pending' | 'delivering' | 'delivered' | 'dead' | 'cancelled';

export const OUTBOX_STATUSES: readonly OutboxStatus[] = ['pending', 'delivering', 'delivered', 'dead', 'cancelled'];

/** One durable unit of work for the outside world (a lead for a CRM, a recording download...). */
export interface OutboxMessage {
  readonly id: string;
  readonly accountId: string;
  readonly topic: string;
  readonly sinkId: string | null;
  readonly aggregateId: string | null;
  readonly dedupeKey: string;
  readonly payload: Record<string, unknown>;
  readonly status: OutboxStatus;
  /** Attempts started so far (counted when a worker claims the row). */
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lockedUntil: Date | null;
  /** The claim this row is held under; settling it requires the same token. */
  readonly leaseId: string | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
}

export interface NewOutboxMessage {
  readonly accountId: string;
  readonly topic: string;
  /** Unique across the table: a second enqueue with the same key is a no-op. */
  readonly dedupeKey: string;
  readonly payload: Record<string, unknown>;
  readonly sinkId?: string | null;
  readonly aggregateId?: string | null;
  readonly runAt?: Date;
}

export interface OutboxFilter {
  readonly accountId: string;
  readonly status?: OutboxStatus;
  readonly topic?: string;
  readonly sinkId?: string;
  /** Deliveries about this call (lead rows name it in the payload). */
  readonly callId?: string;
  /** Deliveries about any call of this customer lead. */
  readonly leadId?: string;
  readonly createdFrom?: Date;
  /** Exclusive: [createdFrom, createdTo). */
  readonly createdTo?: Date;
  /** Rows with an id below this one (pages go from newest to oldest). */
  readonly before?: string;
  readonly limit: number;
}
