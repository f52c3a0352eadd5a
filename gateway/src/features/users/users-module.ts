import type { FeatureModule } from '../../http/feature-module.js';
import type { Infrastructure } from '../../infrastructure.js';
import { UserController } from './user-controller.js';
import { UserService } from './user-service.js';

export interface UsersModule extends FeatureModule {
  readonly service: UserService;
}

/** The account's users and their roles. */
export function createUsersModule(infra: Infrastructure): UsersModule {
  const { db, stores } = infra;
  const service = new UserService({ db: db.knex, users: stores.users, audit: stores.audit, sessions: stores.sessions });
  return { name: 'users', service, controllers: [new UserController(service)] };
}
