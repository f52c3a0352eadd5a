import type { Db } from '../../adapters/db/knex.js';
import { UnsafeUrlError, safeFetch } from '../../adapters/http/safe-fetch.js';
import type { SafeFetchResult } from '../../adapters/http/safe-fetch.js';
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

/** Loads a site's page from the server (SSRF-safe) and tells whether the widget tag is on it and would answer. */
export class InstallCheckService {
  constructor(private readonly deps: { db: Db; allowPrivate: boolean; fetch?: typeof safeFetch }) {}

  async check(actor: Principal, siteId: string, url: string): Promise<InstallCheck> {
    const site = (await this.deps.db('sites').select('public_key', 'domains').where({ id: siteId, account_id: actor.accountId }).first()) as
      | { public_key: string; domains: string[] }
      | undefined;
    if (!site) throw new NotFoundError(`Site ${siteId} not found`);
    let page: SafeFetchResult;
    try {
      page = await (this.deps.fetch ?? safeFetch)(url, { allowPrivate: this.deps.allowPrivate });
    } catch (err) {
      if (err instanceof UnsafeUrlError) throw new BadDataError(err.message, [{ path: 'body/url', message: err.message }]);
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
