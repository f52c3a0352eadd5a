import type { DbOrTrx } from '../../adapters/db/knex.js';

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

/** Cross-table reads for the call card. */
export class CallReadModel {
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
