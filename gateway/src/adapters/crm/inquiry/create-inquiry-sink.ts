import type { CrmSink } from '../../../features/crm-sinks/crm-sink-types.js';
import type { Clock } from '../../../shared/clock.js';
import type { InquirySink } from './inquiry-sinks.js';
import { AmoCrmInquirySink, Bitrix24InquirySink, RetailCrmInquirySink, WebhookInquirySink } from './inquiry-sinks.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/**
 * The inquiry side of a stored sink, from the same config and secrets as its call side. RetailCRM order methods per
 * kind come from the sink's config (`orderMethodForm`, `orderMethodCallback`, `orderMethodEmail`); the defaults are
 * codes of RetailCRM's stock method list.
 */
export function createInquirySink(sink: CrmSink, secrets: Record<string, unknown>, deps: { clock: Clock; timeoutMs: number }): InquirySink | null {
  const c = sink.config;
  const timeoutMs = deps.timeoutMs;
  switch (sink.kind) {
    case 'webhook':
      return new WebhookInquirySink({ url: String(c.url), secret: String(secrets.secret), timeoutMs }, deps.clock);
    case 'retailcrm':
      return new RetailCrmInquirySink({
        baseUrl: String(c.baseUrl),
        site: String(c.site),
        apiKey: String(secrets.apiKey),
        orderMethods: {
          form: str(c.orderMethodForm) ?? 'landing-page',
          callback: str(c.orderMethodCallback) ?? 'call-request',
          email: str(c.orderMethodEmail) ?? 'e-mail',
        },
        orderType: str(c.orderType),
        status: str(c.status),
        timeoutMs,
      });
    case 'bitrix24':
      return new Bitrix24InquirySink({ webhookUrl: String(secrets.webhookUrl), assignedById: num(c.assignedById), timeoutMs });
    case 'amocrm':
      return new AmoCrmInquirySink({
        baseUrl: String(c.baseUrl),
        accessToken: String(secrets.accessToken),
        pipelineId: num(c.pipelineId),
        timeoutMs,
      });
    default:
      // A sink kind without an inquiry shape (analytics-only sinks) takes calls only.
      return null;
  }
}
