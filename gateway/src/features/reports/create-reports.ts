import type { Db } from '../../adapters/db/knex.js';
import type { Config } from '../../config.js';
import type { Controller } from '../../http/route.js';
import type { Clock } from '../../shared/clock.js';
import { CallsWithoutSessionReadModel } from './calls-without-session-read-model.js';
import { CallsWithoutSessionService } from './calls-without-session-service.js';
import { ReportController } from './report-controller.js';
import { ReportReadModel } from './report-read-model.js';
import { ReportService } from './report-service.js';

/** The reports feature: end-to-end summary, calls without a session, ad spend import and conversion exports. */
export function createReports(deps: { db: Db; config: Config; clock: Clock }): { controllers: Controller[]; reports: ReportService } {
  const readModel = new ReportReadModel();
  const reports = new ReportService({ db: deps.db, readModel });
  const noSession = new CallsWithoutSessionService({ db: deps.db, reports, readModel, noSession: new CallsWithoutSessionReadModel() });
  return { controllers: [new ReportController(reports, noSession)], reports };
}
