import { Counter } from 'prom-client';
import type { Registry } from 'prom-client';

export type AttemptResult = 'delivered' | 'retry' | 'dead' | 'lost_lease';

export interface OutboxMetrics {
  attempt(topic: string, result: AttemptResult): void;
}

export const noOutboxMetrics: OutboxMetrics = { attempt: () => undefined };

export function createOutboxMetrics(registry: Registry): OutboxMetrics {
  const attempts = new Counter({
    name: 'gateway_outbox_attempts_total',
    help: 'Outbox delivery attempts by topic and result (retry: failed, will try again; dead: gave up)',
    labelNames: ['topic', 'result'] as const,
    registers: [registry],
  });
  return { attempt: (topic, result) => attempts.inc({ topic, result }) };
}
