import type { Db } from '../../adapters/db/knex.js';
import type { Principal } from '../../http/principal.js';
import type { CallWithoutSession, CallsWithoutSessionReadModel, NoSessionReason } from './calls-without-session-read-model.js';
import type { ReportReadModel } from './report-read-model.js';
import { REASONS } from './report-schemas.js';
import { checkPeriod } from './report-service.js';
import type { ReportService } from './report-service.js';

export class CallsWithoutSessionService {
  constructor(private readonly deps: { db: Db; reports: ReportService; readModel: ReportReadModel; noSession: CallsWithoutSessionReadModel }) {}

  async list(
    principal: Principal,
    q: { siteId: string; from: string; to: string; limit: number; reason?: NoSessionReason },
  ): Promise<{ siteId: string; from: string; to: string; timezone: string; counts: Record<NoSessionReason, number>; items: CallWithoutSession[] }> {
    checkPeriod(q.from, q.to);
    const site = await this.deps.reports.site(principal, q.siteId);
    const { lo, hi } = await this.deps.readModel.bounds(this.deps.db, site.timezone, q.from, q.to);
    const all = await this.deps.noSession.list(this.deps.db, { accountId: site.accountId, siteId: site.id, lo, hi });
    const counts = Object.fromEntries(REASONS.map((r) => [r, 0])) as Record<NoSessionReason, number>;
    for (const c of all) counts[c.reason] += 1;
    const items = (q.reason ? all.filter((c) => c.reason === q.reason) : all).slice(0, q.limit);
    return { siteId: site.id, from: q.from, to: q.to, timezone: site.timezone, counts, items };
  }
}
