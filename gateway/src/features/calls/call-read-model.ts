import type { DbOrTrx } from '../../adapters/db/knex.js';
import { ORIGIN_COLUMNS, callOrigin } from './call-origin.js';
import type { CallOrigin, OriginRow } from './call-origin.js';
import type { Call, CallView } from './call-types.js';

const NO_ORIGIN: CallOrigin = { channel: null, source: null, medium: null, campaign: null, keyword: null, content: null, landingPage: null };

/** A web session's journey, for the call card. */
export interface SessionJourney {
  readonly sessionId: string;
  readonly visitorId: string;
  readonly landingUrl: string | null;
  readonly referrer: string | null;
  readonly utm: { source: string | null; medium: string | null; campaign: string | null; term: string | null; content: string | null };
  readonly clickIds: Record<string, unknown>;
  readonly pages: unknown[];
  readonly device: Record<string, unknown>;
  readonly channelId: string | null;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

/** Cross-table reads for the call list and card. */
export class CallReadModel {
  /** Where each call came from (channel, visit source), in one query for a page of calls. */
  async origins(db: DbOrTrx, accountId: string, callIds: readonly string[]): Promise<Map<string, CallOrigin>> {
    if (!callIds.length) return new Map();
    const rows = (await db('calls as c')
      .leftJoin('web_sessions as s', function () {
        this.on('s.id', 'c.session_id').andOn('s.account_id', 'c.account_id');
      })
      .leftJoin('channels as ch', 'ch.id', 'c.channel_id')
      .select('c.id', ...ORIGIN_COLUMNS)
      .where('c.account_id', accountId)
      .whereIn('c.id', [...callIds])) as (OriginRow & { id: string })[];
    return new Map(rows.map((r) => [r.id, callOrigin(r)]));
  }

  async views(db: DbOrTrx, accountId: string, calls: readonly Call[]): Promise<CallView[]> {
    const origins = await this.origins(
      db,
      accountId,
      calls.map((c) => c.id),
    );
    return calls.map((call) => ({ call, origin: origins.get(call.id) ?? NO_ORIGIN }));
  }

  async journey(db: DbOrTrx, accountId: string, sessionId: string): Promise<SessionJourney | null> {
    const r = (await db('web_sessions')
      .select(
        'id',
        'visitor_id',
        'landing_url',
        'referrer',
        'utm_source',
        'utm_medium',
        'utm_campaign',
        'utm_term',
        'utm_content',
        'click_ids',
        'pages',
        'device',
        'channel_id',
        'first_seen_at',
        'last_seen_at',
      )
      .where({ account_id: accountId, id: sessionId })
      .first()) as
      | {
          id: string;
          visitor_id: string;
          landing_url: string | null;
          referrer: string | null;
          utm_source: string | null;
          utm_medium: string | null;
          utm_campaign: string | null;
          utm_term: string | null;
          utm_content: string | null;
          click_ids: Record<string, unknown>;
          pages: unknown[];
          device: Record<string, unknown>;
          channel_id: string | null;
          first_seen_at: Date;
          last_seen_at: Date;
        }
      | undefined;
    if (!r) return null;
    return {
      sessionId: r.id,
      visitorId: r.visitor_id,
      landingUrl: r.landing_url,
      referrer: r.referrer,
      utm: { source: r.utm_source, medium: r.utm_medium, campaign: r.utm_campaign, term: r.utm_term, content: r.utm_content },
      clickIds: r.click_ids,
      pages: r.pages,
      device: r.device,
      channelId: r.channel_id,
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
    };
  }
}
