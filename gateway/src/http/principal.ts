/** Roles of people (users, console sessions). */
export const ROLES = ['owner', 'admin', 'manager', 'analyst'] as const;
/** API keys may also be PBX keys: a PBX or cloud PBX pushing recordings, allowed nothing else. */
export const API_KEY_ROLES = [...ROLES, 'pbx'] as const;
export type Role = (typeof API_KEY_ROLES)[number];

/** Who is calling: a console user (session cookie) or an API key. Every store query is scoped by `accountId`. */
export interface Principal {
  readonly accountId: string;
  readonly role: Role;
  readonly userId: string | null;
  readonly apiKeyId: string | null;
  readonly via: 'api_key' | 'session';
  /** The console session behind the request (via 'session'), so a password change can keep it and end the others. */
  readonly sessionId?: string;
}

/** Role sets used by routes; owners can do everything admins can. */
export const ANY_ROLE: readonly Role[] = ROLES;
export const ADMINS: readonly Role[] = ['owner', 'admin'];
export const OWNERS: readonly Role[] = ['owner'];
export const CALL_HANDLERS: readonly Role[] = ['owner', 'admin', 'manager'];
export const RECORDING_UPLOADERS: readonly Role[] = ['owner', 'admin', 'pbx'];
