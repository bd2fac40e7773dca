import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const UI_SESSION_COOKIE = 'mp_ui_session';
/**
 * The header the web UI sends on every API call. Browsers do not let a cross-site form or image set
 * a custom header (a cross-origin fetch that tries needs a CORS preflight, which the proxy never
 * grants), so a session cookie that arrives without it is not taken as the caller's intent (CSRF).
 */
export const UI_CSRF_HEADER = 'x-ui-session';
export const UI_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Bounds memory if someone holding the master key logs in in a loop; the oldest session goes first. */
const MAX_SESSIONS = 1000;

export interface UiSession {
  id: string;
  expiresAt: number;
}

/** The value of one cookie in a `Cookie` header (no cookie-parser needed for one name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Web UI sessions, in memory: a random id in an HttpOnly cookie stands for the master key, which never
 * leaves the server. Sessions end at expiry, at logout or when the process restarts; with several
 * instances behind a load balancer, each knows only the sessions it opened (sticky sessions needed).
 */
@Injectable()
export class UiSessionService {
  /** Insertion order is creation order, which the eviction relies on. */
  private readonly sessions = new Map<string, number>();

  create(now = Date.now()): UiSession {
    this.sweep(now);
    while (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    const expiresAt = now + UI_SESSION_TTL_MS;
    this.sessions.set(id, expiresAt);
    return { id, expiresAt };
  }

  /** The live session named by the request's cookie, if any. */
  fromCookie(headers: IncomingHttpHeaders, now = Date.now()): UiSession | undefined {
    const id = readCookie(headers.cookie, UI_SESSION_COOKIE);
    if (!id) return undefined;
    const expiresAt = this.sessions.get(id);
    if (expiresAt === undefined) return undefined;
    if (expiresAt <= now) {
      this.sessions.delete(id);
      return undefined;
    }
    return { id, expiresAt };
  }

  /** A live session cookie together with the UI's CSRF header: the request may act as the master key. */
  authorizes(headers: IncomingHttpHeaders): boolean {
    return headers[UI_CSRF_HEADER] === '1' && this.fromCookie(headers) !== undefined;
  }

  destroy(id: string): void {
    this.sessions.delete(id);
  }

  /** `Set-Cookie` opening a session; `Secure` when the browser reached us over HTTPS. */
  cookie(session: UiSession, secure: boolean): string {
    const maxAge = Math.max(0, Math.ceil((session.expiresAt - Date.now()) / 1000));
    return `${UI_SESSION_COOKIE}=${session.id}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }

  /** `Set-Cookie` that makes the browser forget the session. */
  clearedCookie(secure: boolean): string {
    return `${UI_SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }

  private sweep(now: number): void {
    for (const [id, expiresAt] of this.sessions) if (expiresAt <= now) this.sessions.delete(id);
  }
}
