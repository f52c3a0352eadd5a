import { randomBytes } from 'node:crypto';
import type { Db } from '../../adapters/db/knex.js';
import { BadDataError, ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors/app-error.js';
import type { Logger } from '../../logging/logger.js';
import type { Principal, Role } from '../../http/principal.js';
import type { Clock } from '../../shared/clock.js';
import { newId } from '../../shared/ids.js';
import type { AuditLog } from '../audit/audit-log-store.js';
import { hashPassword, verifyPassword } from '../users/password.js';
import { LoginThrottle } from './login-throttle.js';
import type { UserStore } from '../users/user-store.js';
import type { ApiKey, ApiKeyStore } from './api-key-store.js';
import type { SessionStore } from './session-store.js';
import { API_KEY_PREFIX, SESSION_PREFIX, displayPrefix, hashToken, newSecretToken } from './tokens.js';

const SESSION_DAYS = 14;
const DAY_MS = 86_400_000;
const TOUCH_EVERY_MS = 60_000;
let dummy: Promise<string> | null = null;
/** A real scrypt hash of a random password, made once: what unknown emails are checked against. */
const dummyHash = (): Promise<string> => (dummy ??= hashPassword(randomBytes(16).toString('hex')));

/** Owners outrank admins, who outrank managers and analysts; a key never gets more power than its creator. */
// A PBX key can only upload recordings, which admins can do: admins and owners hand them out.
const RANK: Record<Role, number> = { owner: 3, admin: 2, pbx: 2, manager: 1, analyst: 1 };

export interface AuthDeps {
  readonly db: Db;
  readonly users: UserStore;
  readonly apiKeys: ApiKeyStore;
  readonly sessions: SessionStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class AuthService {
  private readonly lastTouched = new Map<string, number>();
  /** Failed logins per address, account and both; bounded (login-throttle.ts). */
  readonly throttle = new LoginThrottle();

  constructor(private readonly deps: AuthDeps) {}

  async authenticateApiKey(token: string): Promise<Principal | null> {
    if (!token.startsWith(API_KEY_PREFIX) || token.length > 200) return null;
    const now = this.deps.clock.now();
    const key = await this.deps.apiKeys.findActiveByHash(this.deps.db, hashToken(token), now);
    if (!key) return null;
    const last = this.lastTouched.get(key.id) ?? 0;
    if (now.getTime() - last > TOUCH_EVERY_MS) {
      this.lastTouched.set(key.id, now.getTime());
      this.deps.apiKeys.touch(this.deps.db, key.id, now).catch((err: unknown) => this.deps.logger.warn({ err }, 'api key touch failed'));
    }
    return { accountId: key.accountId, role: key.role, userId: key.userId, apiKeyId: key.id, via: 'api_key' };
  }

  async authenticateSession(token: string): Promise<Principal | null> {
    if (!token.startsWith(SESSION_PREFIX) || token.length > 200) return null;
    const now = this.deps.clock.now();
    const s = await this.deps.sessions.findActive(this.deps.db, hashToken(token), now);
    if (!s) return null;
    if (now.getTime() - s.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      const expires = new Date(now.getTime() + SESSION_DAYS * DAY_MS);
      this.deps.sessions.extend(this.deps.db, s.id, now, expires).catch((err: unknown) => this.deps.logger.warn({ err }, 'session extend failed'));
    }
    return { accountId: s.accountId, role: s.role, userId: s.userId, apiKeyId: null, via: 'session', sessionId: s.id };
  }

  async login(
    email: string,
    password: string,
    meta: { ip: string | null; userAgent: string | null },
  ): Promise<{ token: string; expiresAt: Date; principal: Principal }> {
    const now = this.deps.clock.nowMs();
    const key = email.toLowerCase();
    this.throttle.check(key, meta.ip, now);
    const user = await this.deps.users.findByEmailWithSecret(this.deps.db, email);
    // One scrypt run whatever the email: an unknown, disabled or password-less user costs the same time as a
    // wrong password, so the answer's timing does not tell which emails have accounts.
    const hash = user && !user.disabledAt && user.passwordHash ? user.passwordHash : await dummyHash();
    const matches = await verifyPassword(password, hash);
    const ok = matches && !!user && !user.disabledAt && hash === user.passwordHash;
    if (!ok || !user) {
      this.throttle.failed(key, meta.ip, now);
      throw new UnauthorizedError('Wrong email or password');
    }
    this.throttle.succeeded(key, meta.ip);
    const token = newSecretToken(SESSION_PREFIX);
    const expiresAt = new Date(now + SESSION_DAYS * DAY_MS);
    await this.deps.sessions.create(this.deps.db, {
      id: newId(),
      accountId: user.accountId,
      userId: user.id,
      tokenHash: hashToken(token),
      expiresAt,
      userAgent: meta.userAgent?.slice(0, 300) ?? null,
    });
    const principal: Principal = { accountId: user.accountId, role: user.role, userId: user.id, apiKeyId: null, via: 'session' };
    await this.deps.audit.record(this.deps.db, principal, { action: 'user.login', targetType: 'user', targetId: user.id, ip: meta.ip });
    return { token, expiresAt, principal };
  }

  async logout(token: string): Promise<void> {
    await this.deps.sessions.delete(this.deps.db, hashToken(token));
  }

  async createApiKey(actor: Principal, input: { name: string; role: Role; expiresAt: Date | null }): Promise<{ key: ApiKey; token: string }> {
    if (RANK[input.role] > RANK[actor.role]) throw new ForbiddenError(`A ${actor.role} cannot create a key with the ${input.role} role`);
    if (input.expiresAt && input.expiresAt.getTime() <= this.deps.clock.nowMs()) throw new BadDataError('expiresAt must be in the future');
    const token = newSecretToken(API_KEY_PREFIX);
    const key = await this.deps.apiKeys.create(this.deps.db, {
      id: newId(),
      accountId: actor.accountId,
      userId: actor.userId,
      name: input.name,
      role: input.role,
      displayPrefix: displayPrefix(token),
      keyHash: hashToken(token),
      expiresAt: input.expiresAt,
    });
    await this.deps.audit.record(this.deps.db, actor, {
      action: 'api_key.create',
      targetType: 'api_key',
      targetId: key.id,
      details: { role: key.role },
    });
    return { key, token };
  }

  listApiKeys(actor: Principal): Promise<ApiKey[]> {
    return this.deps.apiKeys.list(this.deps.db, actor.accountId);
  }

  async revokeApiKey(actor: Principal, id: string): Promise<void> {
    const ok = await this.deps.apiKeys.revoke(this.deps.db, actor.accountId, id, this.deps.clock.now());
    if (!ok) throw new NotFoundError(`API key ${id} not found`);
    await this.deps.audit.record(this.deps.db, actor, { action: 'api_key.revoke', targetType: 'api_key', targetId: id });
  }
}
