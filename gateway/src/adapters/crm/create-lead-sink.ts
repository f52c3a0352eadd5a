import type { CrmSink } from '../../features/crm-sinks/crm-sink-types.js';
import type { LeadSinkFactory } from '../../features/leads/lead-delivery-handler.js';
import type { LeadSink } from '../../features/leads/lead-types.js';
import type { RateLimit } from '../../features/outbox/token-bucket.js';
import type { Clock } from '../../shared/clock.js';
import { AmoCrmSink } from './amocrm-sink.js';
import { Bitrix24Sink } from './bitrix24-sink.js';
import { SinkGoneError } from './crm-http.js';
import { Ga4Sink } from './ga4-sink.js';
import { GenericWebhookSink } from './generic-webhook-sink.js';
import { RetailCrmSink } from './retailcrm-sink.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function host(url: unknown): string {
  try {
    return new URL(String(url)).host;
  } catch {
    return 'invalid';
  }
}

/** Builds the adapter for a stored sink from its config and opened secrets (both validated when the sink was saved). */
export class CrmSinkFactory implements LeadSinkFactory {
  constructor(private readonly deps: { clock: Clock; timeoutMs: number }) {}

  create(sink: CrmSink, secrets: Record<string, unknown>): LeadSink {
    const c = sink.config;
    const timeoutMs = this.deps.timeoutMs;
    switch (sink.kind) {
      case 'webhook':
        return new GenericWebhookSink({ url: String(c.url), secret: String(secrets.secret), timeoutMs }, this.deps.clock);
      case 'retailcrm':
        return new RetailCrmSink({
          baseUrl: String(c.baseUrl),
          site: String(c.site),
          apiKey: String(secrets.apiKey),
          orderMethod: str(c.orderMethod),
          orderType: str(c.orderType),
          status: str(c.status),
          userCode: str(c.userCode),
          timezone: str(c.timezone),
          uploadCallAtEnd: !sink.deliverOn.includes('recording.ready'),
          timeoutMs,
        });
      case 'bitrix24': {
        const token = str(secrets.accessToken);
        const portalUrl = str(c.portalUrl);
        const userId = num(c.userId);
        return new Bitrix24Sink({
          webhookUrl: String(secrets.webhookUrl),
          app: token && portalUrl && userId ? { portalUrl, accessToken: token, userId } : undefined,
          assignedById: num(c.assignedById),
          timeoutMs,
        });
      }
      case 'amocrm':
        return new AmoCrmSink({
          baseUrl: String(c.baseUrl),
          accessToken: String(secrets.accessToken),
          pipelineId: num(c.pipelineId),
          sourceName: str(c.sourceName),
          timeoutMs,
        });
      case 'ga4':
        return new Ga4Sink(
          {
            measurementId: String(c.measurementId),
            apiSecret: String(secrets.apiSecret),
            leadValue: num(c.leadValue),
            endpoint: str(c.endpoint),
            timeoutMs,
          },
          () => this.deps.clock.nowMs(),
        );
    }
  }

  /** Client-side pacing per CRM account, from each vendor's published limits (see docs/crm.md). */
  rateLimit(sink: CrmSink, secrets: Record<string, unknown>): RateLimit | null {
    switch (sink.kind) {
      case 'webhook':
        return { key: `webhook:${sink.id}`, ratePerSec: 20, burst: 40 };
      case 'retailcrm':
        // api-client-go rate.go: 10 requests/s per key.
        // A delivery is a create or edit, plus the call upload once there is a recording.
        return { key: `retailcrm:${host(sink.config.baseUrl)}`, ratePerSec: 10, burst: 10, cost: 2 };
      case 'bitrix24':
        // limits.md: leaky bucket per portal, 2/s drained, 50 deep (non-Enterprise plans).
        // A delivery is a lookup and an add (or one update), plus one telephony call in application mode.
        return { key: `bitrix24:${host(secrets.webhookUrl)}`, ratePerSec: 2, burst: 50, cost: secrets.accessToken ? 3 : 2 };
      case 'amocrm':
        return { key: `amocrm:${host(sink.config.baseUrl)}`, ratePerSec: 7, burst: 7 };
      case 'ga4':
        // No published rate for /mp/collect; one event per lead is far below anything GA4 throttles.
        return { key: `ga4:${String(sink.config.measurementId)}`, ratePerSec: 20, burst: 40 };
    }
  }

  isGone(err: unknown): boolean {
    return err instanceof SinkGoneError;
  }
}
