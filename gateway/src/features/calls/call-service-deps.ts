import type { Db } from '../../adapters/db/knex.js';
import type { Logger } from '../../logging/logger.js';
import type { Clock } from '../../shared/clock.js';
import type { EventBus } from '../../shared/event-bus.js';
import type { AttributionReadModel } from '../attribution/attribution-read-model.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import type { PgBlockedCallerStore } from './blocked-caller-store.js';
import type { CallChangeHook } from './call-change-hook.js';
import type { PgCallEventStore } from './call-event-store.js';
import type { CallReadModel } from './call-read-model.js';
import type { PgCallStore } from './call-store.js';
import type { PgRecordingRefStore } from './recording-ref-store.js';

export interface CallServiceDeps {
  readonly db: Db;
  readonly calls: PgCallStore;
  readonly events: PgCallEventStore;
  readonly recordings: PgRecordingRefStore;
  readonly blocked: PgBlockedCallerStore;
  readonly audit: AuditLog;
  readonly readModel: CallReadModel;
  readonly attribution: AttributionReadModel;
  readonly hooks: readonly CallChangeHook[];
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
}
