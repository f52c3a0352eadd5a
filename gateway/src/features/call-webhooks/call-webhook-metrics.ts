import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

export interface CallWebhookMetrics {
  voiceAnswered(decision: 'dial' | 'reject' | 'unavailable'): void;
  rejected(reason: 'signature' | 'params'): void;
}

/** Voice answers by routing decision, refused webhooks, and call writes not yet landed (non-zero = database trouble). */
export function createCallWebhookMetrics(registry: Registry, pendingWrites: () => number, routingAgeSeconds: () => number): CallWebhookMetrics {
  const answers = new Counter({
    name: 'gateway_twilio_voice_answers_total',
    help: 'Voice webhooks answered, by routing decision',
    labelNames: ['decision'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'gateway_twilio_webhooks_refused_total',
    help: 'Twilio webhooks refused',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'gateway_call_event_writes_pending',
    help: 'Call events this process accepted and has not yet applied to calls (queued, waiting on disk, or in the inbox table)',
    registers: [registry],
    collect() {
      this.set(pendingWrites());
    },
  });
  new Gauge({
    name: 'gateway_routing_table_age_seconds',
    help: 'Seconds since the in-memory routing table was last loaded',
    // In a cluster, the oldest table of its processes.
    aggregator: 'max',
    registers: [registry],
    collect() {
      this.set(routingAgeSeconds());
    },
  });
  // Bound once: a label object is hashed on every inc otherwise, once per voice answer.
  const answered = { dial: answers.labels('dial'), reject: answers.labels('reject'), unavailable: answers.labels('unavailable') };
  return {
    voiceAnswered: (decision) => answered[decision].inc(),
    rejected: (reason) => refused.inc({ reason }),
  };
}
