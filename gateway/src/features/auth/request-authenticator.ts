import type { Request } from 'express';
import type { Authenticator } from '../../http/mount-routes.js';
import type { Principal } from '../../http/principal.js';
import type { AuthService } from './auth-service.js';

export const SESSION_COOKIE = 'ct_session';

export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponentSafe(part.slice(eq + 1).trim());
  }
  return null;
}

function decodeURIComponentSafe(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** Bearer API key first, then the console session cookie. */
export class RequestAuthenticator implements Authenticator {
  constructor(private readonly auth: AuthService) {}

  async authenticate(req: Request): Promise<Principal | null> {
    const header = req.headers.authorization;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      return m?.[1] ? this.auth.authenticateApiKey(m[1]) : null;
    }
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIE);
    return cookie ? this.auth.authenticateSession(cookie) : null;
  }
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  // SameSite=Strict: the browser never sends the console cookie on cross-site requests, which rules out CSRF.
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Expires=${expiresAt.toUTCString()}${secure ? '; Secure' : ''}`;
}

export function clearSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}
