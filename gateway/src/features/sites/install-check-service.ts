import type { Db } from '../../adapters/db/knex.js';
import { OutboundRefusedError, refusalOf } from '../../adapters/http/outbound-guard.js';
import type { OutboundGuard } from '../../adapters/http/outbound-guard.js';
import { BadDataError, NotFoundError } from '../../errors/app-error.js';
import type { Principal } from '../../http/principal.js';
import { originAllowed } from '../dni/dni-session-service.js';

export interface InstallCheck {
  readonly url: string;
  readonly reachable: boolean;
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly tagFound: boolean;
  readonly foundKey: string | null;
  readonly keyMatches: boolean;
  /** The widget would answer on the page's origin (its host is among the site's domains). */
  readonly widgetAnswers: boolean;
}

/** `<script ... src="…/dni.js…" … data-site="KEY">` in any attribute order. */
const SCRIPT_TAG = /<script\b[^>]*>/gi;
const SRC = /\bsrc\s*=\s*["']?([^"'\s>]+)/i;
const DATA_SITE = /\bdata-site\s*=\s*["']?([^"'\s>]+)/i;

export function findWidgetTag(html: string): { found: boolean; key: string | null } {
  for (const m of html.matchAll(SCRIPT_TAG)) {
    const src = SRC.exec(m[0])?.[1] ?? '';
    if (!/\/dni\.js(\?|#|$)/.test(src)) continue;
    return { found: true, key: DATA_SITE.exec(m[0])?.[1] ?? null };
  }
  return { found: false, key: null };
}

const TIMEOUT_MS = 5_000;
const MAX_BYTES = 1_000_000;

interface Page {
  readonly status: number;
  readonly url: string;
  readonly body: string;
}

/** Reads at most `max` bytes of a body: a page is searched for one tag, never kept. */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) break;
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * Loads a site's page from the server and tells whether the widget tag is on it and would answer. The request goes
 * through the outbound guard (resolved address checked, every redirect hop checked again), so a user cannot make the
 * gateway fetch its own network unless OUTBOUND_ALLOWED_NETWORKS allows it.
 */
export class InstallCheckService {
  constructor(private readonly deps: { db: Db; outbound: Pick<OutboundGuard, 'checkResolved' | 'fetch'> }) {}

  private async load(raw: string): Promise<Page> {
    const url = new URL(raw);
    if (url.username || url.password) throw new OutboundRefusedError('Addresses with credentials are not fetched');
    await this.deps.outbound.checkResolved(url);
    const res = await this.deps.outbound.fetch(url, {
      headers: { 'user-agent': 'CallTrack-InstallCheck/1.0', accept: 'text/html,*/*;q=0.5' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    return { status: res.status, url: res.url || url.href, body: await readCapped(res, MAX_BYTES) };
  }

  async check(actor: Principal, siteId: string, url: string): Promise<InstallCheck> {
    const site = (await this.deps.db('sites').select('public_key', 'domains').where({ id: siteId, account_id: actor.accountId }).first()) as
      | { public_key: string; domains: string[] }
      | undefined;
    if (!site) throw new NotFoundError(`Site ${siteId} not found`);
    let page: Page;
    try {
      page = await this.load(url);
    } catch (err) {
      const refused = err instanceof OutboundRefusedError ? err : refusalOf(err);
      if (refused) throw new BadDataError(refused.message, [{ path: 'body/url', message: refused.message }]);
      return {
        url,
        reachable: false,
        httpStatus: null,
        error: err instanceof Error ? err.message : String(err),
        tagFound: false,
        foundKey: null,
        keyMatches: false,
        widgetAnswers: false,
      };
    }
    const tag = findWidgetTag(page.body);
    const origin = new URL(page.url).origin;
    return {
      url: page.url,
      reachable: page.status >= 200 && page.status < 400,
      httpStatus: page.status,
      error: page.status >= 400 ? `HTTP ${page.status}` : null,
      tagFound: tag.found,
      foundKey: tag.key,
      keyMatches: tag.key === site.public_key,
      widgetAnswers: originAllowed(origin, site.domains),
    };
  }
}
