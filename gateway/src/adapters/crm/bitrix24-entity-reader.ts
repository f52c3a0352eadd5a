import { ProviderError } from '../../errors/app-error.js';
import { crmRequest, redact } from './crm-http.js';

/** The fields of a Bitrix24 lead or deal that say how it went. */
export interface Bitrix24Entity {
  readonly id: string;
  /** STATUS_ID of a lead, STAGE_ID of a deal. */
  readonly code: string;
  /** STATUS_SEMANTIC_ID / STAGE_SEMANTIC_ID: S success, F failure, P in progress (null when not sent). */
  readonly semantic: string | null;
  /** OPPORTUNITY */
  readonly amount: number | null;
  /** CURRENCY_ID */
  readonly currency: string | null;
  /** A deal's LEAD_ID: the lead it was converted from. */
  readonly leadId: string | null;
}

interface B24Answer {
  result?: Record<string, unknown>;
  error?: string;
  error_description?: string;
}

function parseAnswer(text: string): B24Answer | null {
  try {
    return JSON.parse(text) as B24Answer;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/**
 * Reads a lead or deal through the sink's incoming webhook (`crm.lead.get` / `crm.deal.get`, b24restdocs): Bitrix24's
 * outbound events carry only the entity id, so the status and amount are fetched.
 */
export class Bitrix24EntityReader {
  /** `fetch` is the outbound guard's: the webhook URL is a tenant's. */
  constructor(private readonly deps: { timeoutMs: number; fetch: typeof fetch }) {}

  async get(webhookUrl: string, entity: 'lead' | 'deal', id: string): Promise<Bitrix24Entity | null> {
    const method = entity === 'lead' ? 'crm.lead.get' : 'crm.deal.get';
    const url = `${webhookUrl.replace(/\/+$/, '')}/${method}.json`;
    let a: Awaited<ReturnType<typeof crmRequest>>;
    try {
      a = await crmRequest(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ id }),
        timeoutMs: this.deps.timeoutMs,
        signal: new AbortController().signal,
        fetch: this.deps.fetch,
      });
    } catch (err) {
      throw new ProviderError(`Bitrix24 ${method} at ${redact(url)} failed: ${(err as Error).message}`);
    }
    const body = parseAnswer(a.text);
    // "Not found" is an answer about this id, not a failure of the portal.
    if (body?.error === 'ERROR_NOT_FOUND' || (a.status === 400 && /not found/i.test(body?.error_description ?? ''))) return null;
    if (a.status < 200 || a.status > 299 || !body?.result) {
      throw new ProviderError(`Bitrix24 ${method} answered ${a.status}${body?.error ? `: ${body.error}` : ''}`);
    }
    const r = body.result;
    const code = str(entity === 'lead' ? r.STATUS_ID : r.STAGE_ID);
    if (!code) throw new ProviderError(`Bitrix24 ${method} answered without ${entity === 'lead' ? 'STATUS_ID' : 'STAGE_ID'}`);
    const amount = str(r.OPPORTUNITY);
    return {
      id: str(r.ID) ?? id,
      code,
      semantic: str(entity === 'lead' ? r.STATUS_SEMANTIC_ID : r.STAGE_SEMANTIC_ID),
      amount: amount !== null && Number.isFinite(Number(amount)) ? Number(amount) : null,
      currency: str(r.CURRENCY_ID),
      leadId: entity === 'deal' ? str(r.LEAD_ID) : null,
    };
  }
}
