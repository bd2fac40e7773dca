import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import { DbEventsService } from '../database/db-events.service.js';
import { UiSessionEntity } from './ui-session.entity.js';

export const UI_SESSION_COOKIE = 'mp_ui_session';
/**
 * The header the web UI sends on every API call. Browsers do not let a cross-site form or image set
 * a custom header (a cross-origin fetch that tries needs a CORS preflight, which the proxy never
 * grants), so a session cookie that arrives without it is not taken as the caller's intent (CSRF).
 */
export const UI_CSRF_HEADER = 'x-ui-session';
export const UI_SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Bounds the table if someone holding the master key logs in in a loop; the oldest session goes first. */
const MAX_SESSIONS = 1000;
/** How long a worker trusts a session it has read without asking the database again; logout reaches it sooner, by NOTIFY. */
const CACHE_TTL_MS = 5_000;
const MAX_CACHED = 1000;
/** Unknown ids, remembered briefly so a flood of forged cookies does not reach the database. */
const NEGATIVE_TTL_MS = 5_000;
const MAX_NEGATIVE = 10_000;
const CHANNEL = 'proxy_ui_session_change' as const;

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
 * Web UI sessions: a random id in an HttpOnly cookie stands for the master key, which never leaves the
 * server. They live in PostgreSQL, so every instance and every `WORKERS` process accepts a cookie
 * whichever opened it, and they survive restarts. The table holds only HMAC-SHA256(master key, id):
 * not the id, and a session opened under a master key that has since been replaced (say, because it
 * leaked) is unknown under the new one, as a restart used to make it. Each process keeps what it
 * read for a few seconds, so a page of admin calls costs one query; logout deletes the row and a
 * NOTIFY drops the entry from every process at once. A session id is minted once and shown only after
 * its row is written, so an id once unknown never becomes valid: unknown ids can be cached too.
 */
@Injectable()
export class UiSessionService {
  /** session hash → its expiry and when this process read it (both ms). */
  private readonly cache = new Map<string, { expiresAt: number; readAt: number }>();
  private readonly unknown = new Map<string, number>();
  /** Bumped by every invalidation: a read that raced a logout must not refill the cache with the old row. */
  private generation = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    /** Raw SQL on its own table: the eviction's DELETE … RETURNING and the one-column read. */
    @InjectRepository(UiSessionEntity) private readonly db: Repository<UiSessionEntity>,
    private readonly events: DbEventsService,
  ) {
    events.subscribe(CHANNEL, (e) => (e.op === 'all' ? this.forget('*') : e.ids.forEach((h) => this.forget(h))));
  }

  async create(now = Date.now()): Promise<UiSession> {
    const id = randomBytes(32).toString('base64url');
    const expiresAt = now + UI_SESSION_TTL_MS;
    // Cleanup happens here, at each login: expired rows, and the oldest beyond the bound.
    const evicted: { session_hash: string }[] = await this.db.query(
      `DELETE FROM "model_proxy_ui_sessions" WHERE "expires_at" <= $1 OR "session_hash" IN (
         SELECT "session_hash" FROM "model_proxy_ui_sessions" ORDER BY "created_at" DESC OFFSET $2)
       RETURNING "session_hash"`,
      [new Date(now), MAX_SESSIONS - 1],
    );
    for (const row of evicted) this.forget(row.session_hash);
    await this.db.query(`INSERT INTO "model_proxy_ui_sessions" ("session_hash", "expires_at") VALUES ($1, $2)`, [this.hashOf(id), new Date(expiresAt)]);
    return { id, expiresAt };
  }

  /** The live session named by the request's cookie, if any. */
  async fromCookie(headers: IncomingHttpHeaders, now = Date.now()): Promise<UiSession | undefined> {
    const id = readCookie(headers.cookie, UI_SESSION_COOKIE);
    if (!id) return undefined;
    const expiresAt = await this.lookup(this.hashOf(id));
    return expiresAt !== undefined && expiresAt > now ? { id, expiresAt } : undefined;
  }

  /** A live session cookie together with the UI's CSRF header: the request may act as the master key. */
  async authorizes(headers: IncomingHttpHeaders): Promise<boolean> {
    return (await this.sessionTag(headers)) !== undefined;
  }

  /** Like `authorizes`, naming the session: a prefix of its stored HMAC (the audit trail's actor), never the cookie's id. */
  async sessionTag(headers: IncomingHttpHeaders): Promise<string | undefined> {
    if (headers[UI_CSRF_HEADER] !== '1') return undefined;
    const session = await this.fromCookie(headers);
    return session ? this.hashOf(session.id).slice(0, 12) : undefined;
  }

  /** Deletes the row; this process drops its cached entry at once, every other one on the NOTIFY. */
  async destroy(id: string): Promise<void> {
    const hash = this.hashOf(id);
    await this.db.query(`DELETE FROM "model_proxy_ui_sessions" WHERE "session_hash" = $1`, [hash]);
    await this.events.changed(CHANNEL, hash);
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

  private hashOf(id: string): string {
    return createHmac('sha256', this.config.masterKey).update(id).digest('hex');
  }

  /** The session's expiry (ms), or undefined when the database does not know it; the caller refuses expired ones. */
  private async lookup(hash: string): Promise<number | undefined> {
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && now - hit.readAt < CACHE_TTL_MS) return hit.expiresAt;
    const seen = this.unknown.get(hash);
    if (seen !== undefined && now - seen < NEGATIVE_TTL_MS) return undefined;
    const generation = this.generation;
    const rows: { expires_at: Date }[] = await this.db.query(`SELECT "expires_at" FROM "model_proxy_ui_sessions" WHERE "session_hash" = $1`, [hash]);
    const expiresAt = rows[0]?.expires_at.getTime();
    if (generation !== this.generation) return expiresAt;
    if (expiresAt !== undefined) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      this.cache.set(hash, { expiresAt, readAt: now });
    } else {
      if (this.unknown.size >= MAX_NEGATIVE) this.unknown.clear();
      this.unknown.set(hash, now);
    }
    return expiresAt;
  }

  private forget(hash: string): void {
    this.generation++;
    if (hash === '*') this.cache.clear();
    else this.cache.delete(hash);
  }
}
