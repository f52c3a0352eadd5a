import type { DbOrTrx } from '../../adapters/db/knex.js';
import { BadDataError, NotFoundError } from '../../errors/app-error.js';
import { ANY_ROLE, type Principal } from '../../http/principal.js';
import { type Controller, type RouteDefinition, route } from '../../http/route.js';
import type { Clock } from '../../shared/clock.js';
import type { PoolService } from '../number-pools/pool-service.js';
import type { SiteStore } from '../sites/site-store-type.js';
import { type PoolAccuracyReadModel, sumDays } from './pool-accuracy-read-model.js';
import { poolAccuracyQuerySchema, poolAccuracyReportSchema } from './pool-accuracy-schemas.js';

const MAX_DAYS = 366;
const DAY = 86_400_000;

/** `GET /v1/reports/pool-accuracy`: how a pool's calls were matched, per day in the site's time zone. */
export class PoolAccuracyController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(deps: { db: DbOrTrx; pools: PoolService; sites: SiteStore; readModel: PoolAccuracyReadModel; clock: Clock }) {
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/reports/pool-accuracy',
          operationId: 'getPoolAccuracy',
          summary: 'Accuracy of a pool per day: unique, ambiguous, tel: click and caller-history matches, unattributed calls, blocked visits',
          description:
            'Days are calendar days in the site time zone, `from` inclusive, `to` exclusive. `correctLowerBound` counts calls matched to the session whose tel: click beacon preceded the call: those are certainly right, so the true accuracy is at least correctLowerBound / calls.',
          tags: ['reports'],
          auth: ANY_ROLE,
          query: poolAccuracyQuerySchema,
          responses: {
            200: { description: 'Per-day figures and totals', schema: poolAccuracyReportSchema },
            400: { description: 'Bad dates or range' },
            404: { description: 'No such pool' },
          },
        },
        async ({ principal, query }) => ({ status: 200, body: await report(deps, principal, query) }),
      ),
    ];
  }
}

function localDate(ms: number, timezone: string): string {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

function checkDate(v: string, name: string): number {
  const t = Date.parse(`${v}T00:00:00Z`);
  if (!Number.isFinite(t) || new Date(t).toISOString().slice(0, 10) !== v)
    throw new BadDataError(`${name} is not a calendar date`, [{ message: 'not a date', path: name }]);
  return t;
}

async function report(
  deps: { db: DbOrTrx; pools: PoolService; sites: SiteStore; readModel: PoolAccuracyReadModel; clock: Clock },
  principal: Principal,
  q: { poolId: string; from?: string; to?: string },
) {
  const pool = await deps.pools.get(principal, q.poolId);
  const site = await deps.sites.get(deps.db, principal.accountId, pool.siteId);
  if (!site) throw new NotFoundError('Site not found');
  const tz = site.timezone;
  const to = q.to ?? new Date(Date.parse(`${localDate(deps.clock.nowMs(), tz)}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
  const toMs = checkDate(to, 'to');
  const from = q.from ?? new Date(toMs - 14 * DAY).toISOString().slice(0, 10);
  const fromMs = checkDate(from, 'from');
  if (fromMs >= toMs) throw new BadDataError('from must be before to', [{ message: 'from must be before to', path: 'from' }]);
  if ((toMs - fromMs) / DAY > MAX_DAYS) throw new BadDataError(`At most ${MAX_DAYS} days at once`, [{ message: 'range too long', path: 'to' }]);
  const days = await deps.readModel.days(deps.db, { accountId: principal.accountId, poolId: pool.id, timezone: tz, from, to });
  const t = sumDays(days);
  const share = (n: number) => (t.calls ? n / t.calls : 0);
  return {
    poolId: pool.id,
    siteId: pool.siteId,
    timezone: tz,
    from,
    to,
    days,
    totals: {
      ...t,
      correctLowerBoundShare: share(t.correctLowerBound),
      ambiguousShare: share(t.ambiguous),
      unattributedShare: share(t.unattributed),
    },
  };
}
