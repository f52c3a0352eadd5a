import { ADMINS, ROLES } from '../../http/principal.js';
import { route } from '../../http/route.js';
import type { Controller, RouteDefinition } from '../../http/route.js';
import type { User } from './user-store.js';
import type { UserService } from './user-service.js';

const userSchema = {
  $id: 'User',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'email', 'name', 'role', 'createdAt', 'disabledAt'],
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', enum: ROLES },
    createdAt: { type: 'string', format: 'date-time' },
    disabledAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;

const userListSchema = {
  $id: 'UserList',
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: userSchema } },
} as const;

const createUserSchema = {
  $id: 'CreateUserRequest',
  type: 'object',
  additionalProperties: false,
  required: ['email', 'role'],
  properties: {
    email: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+$', maxLength: 320 },
    name: { type: 'string', maxLength: 200 },
    role: { type: 'string', enum: ROLES },
    password: { type: 'string', minLength: 12, maxLength: 512 },
  },
} as const;

const updateUserSchema = {
  $id: 'UpdateUserRequest',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 200 },
    role: { type: 'string', enum: ROLES },
    password: { type: 'string', minLength: 12, maxLength: 512 },
    disabled: { type: 'boolean' },
  },
} as const;

const userIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['userId'],
  properties: { userId: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const toApiUser = (u: User) => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  createdAt: u.createdAt.toISOString(),
  disabledAt: u.disabledAt ? u.disabledAt.toISOString() : null,
});

export class UserController implements Controller {
  readonly routes: readonly RouteDefinition[];

  constructor(users: UserService) {
    const tags = ['users'];
    this.routes = [
      route(
        {
          method: 'get',
          path: '/v1/users',
          operationId: 'listUsers',
          summary: "The account's users",
          tags,
          auth: ADMINS,
          responses: { 200: { description: 'Users', schema: userListSchema } },
        },
        async ({ principal }) => ({ status: 200, body: { items: (await users.list(principal)).map(toApiUser) } }),
      ),
      route(
        {
          method: 'post',
          path: '/v1/users',
          operationId: 'createUser',
          summary: 'Add a user to the account',
          tags,
          auth: ADMINS,
          body: createUserSchema,
          responses: { 201: { description: 'Created', schema: userSchema }, 409: { description: 'Email taken' } },
        },
        async ({ principal, body }) => ({ status: 201, body: toApiUser(await users.create(principal, body)) }),
      ),
      route(
        {
          method: 'patch',
          path: '/v1/users/{userId}',
          operationId: 'updateUser',
          summary: 'Change a user: name, role, password, disabled',
          tags,
          auth: ADMINS,
          params: userIdParams,
          body: updateUserSchema,
          responses: { 200: { description: 'The user', schema: userSchema } },
        },
        async ({ principal, params, body }) => ({ status: 200, body: toApiUser(await users.update(principal, params.userId, body)) }),
      ),
    ];
  }
}
