import type { Db } from '../../adapters/db/knex.js';
import type { Config } from '../../config.js';
import type { Controller } from '../../http/route.js';
import type { Job } from '../../jobs/scheduler.js';
import type { Clock } from '../../shared/clock.js';
import { CallsWithoutSessionReadModel } from './calls-without-session-read-model.js';
import { CallsWithoutSessionService } from './calls-without-session-service.js';
import { ReportController } from './report-controller.js';
import { reportFactsCatchUpJob } from './report-facts-catch-up.js';
import { ReportReadModel } from './report-read-model.js';
import { ReportService } from './report-service.js';
import { ConversionExportController } from './exports/conversion-export-controller.js';
import { ConversionExportReadModel } from './exports/conversion-export-read-model.js';
import { ConversionExportService } from './exports/conversion-export-service.js';
import { SpendController } from './spend/spend-controller.js';
import { SpendImportService } from './spend/spend-import-service.js';
import { PgSpendStore } from './spend/spend-store.js';
import type { ChannelStore } from '../channels/channel-store-type.js';
import type { SiteStore } from '../sites/site-store-type.js';

/** The reports feature: end-to-end summary, calls without a session, ad spend import and conversion exports. */
export function createReports(deps: { db: Db; config: Config; clock: Clock; stores: { sites: SiteStore; channels: ChannelStore } }): {
  controllers: Controller[];
  reports: ReportService;
  /** Keeps the report facts right after concurrent writes (report-facts-catch-up.ts). */
  jobs: Job[];
} {
  const readModel = new ReportReadModel();
  const reports = new ReportService({ db: deps.db, readModel });
  const noSession = new CallsWithoutSessionService({ db: deps.db, reports, readModel, noSession: new CallsWithoutSessionReadModel() });
  const spend = new SpendImportService({
    db: deps.db,
    sites: deps.stores.sites,
    channels: deps.stores.channels,
    spend: new PgSpendStore(),
    clock: deps.clock,
  });
  const exports = new ConversionExportService({
    db: deps.db,
    reports,
    readModel,
    exports: new ConversionExportReadModel(),
    publicBaseUrl: deps.config.http.publicBaseUrl,
  });
  return {
    controllers: [new ReportController(reports, noSession), new SpendController(spend), new ConversionExportController(exports)],
    reports,
    jobs: [reportFactsCatchUpJob({ db: deps.db, clock: deps.clock })],
  };
}
