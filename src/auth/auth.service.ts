import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, ErrorType } from '../common/api-error.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import { maskKey } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import { DbEventsService } from '../database/db-events.service.js';
import type { KeyRecord } from '../keys/key-record.js';
import { KeysService } from '../keys/keys.service.js';
import { extractKey } from './key-extract.js';
import { mayUseModel, type Principal, refusedBy } from './principal.js';

/** While the database is unreachable, an expired key entry is re-read at most this often. */
const STALE_RETRY_MS = 1_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_NEGATIVE = 10_000;

/**
 * Authenticates requests from memory: the key is hashed and looked up in an in-process cache;
 * a miss reads the database once. Changes to a key arrive by NOTIFY and drop its entry, so a
 * revoked key stops working on every instance at once. Entries also expire after `KEY_CACHE_TTL_MS`
 * (60 s, LiteLLM's default), a backstop for changes made without a NOTIFY or notices lost.
 */
@Injectable()
export class AuthService {
  private readonly cache = new Map<string, { record: KeyRecord; until: number }>();
  private readonly loading = new Map<string, Promise<KeyRecord | undefined>>();
  /** Unknown hashes, remembered briefly so a flood of bad keys does not reach the database. */
  private readonly unknown = new Map<string, number>();
  /** Bumped by every invalidation: a DB read that raced a change must not refill the cache with the old row. */
  private generation = 0;
  private readonly masterDigest: Buffer;
  private readonly master: Principal = { kind: 'master' };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeysService,
    events: DbEventsService,
  ) {
    this.masterDigest = createHash('sha256').update(config.masterKey).digest();
    events.subscribe('proxy_key_change', (e) => {
      if (e.op === 'all') this.invalidate('*');
      else if (e.op === 'drop') e.ids.forEach((t) => this.invalidate(t));
    });
    // A team or user changed (blocked, models, limits, budget, spend reset): every key of it is read again.
    events.subscribe('proxy_team_change', (e) => this.invalidateWhere(e.op === 'all' ? undefined : new Set(e.ids), (r) => r.teamId));
    events.subscribe('proxy_user_change', (e) => this.invalidateWhere(e.op === 'all' ? undefined : new Set(e.ids), (r) => r.userId));
  }

  /** Drops the entries whose team (or user) is in `ids`; every entry when `ids` is undefined. */
  private invalidateWhere(ids: Set<string> | undefined, of: (r: KeyRecord) => string | null): void {
    if (!ids) return this.invalidate('*');
    this.generation++;
    for (const [token, entry] of this.cache) {
      const id = of(entry.record);
      if (id !== null && ids.has(id)) this.cache.delete(token);
    }
  }

  invalidate(token: string): void {
    this.generation++;
    if (token === '*') {
      this.cache.clear();
      this.unknown.clear();
      return;
    }
    this.cache.delete(token);
    this.unknown.delete(token);
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<Principal> {
    const key = extractKey(headers);
    if (!key) throw ApiError.unauthorized('Authentication Error, No api key passed in.');
    return this.authenticateKey(key);
  }

  async authenticateKey(key: string): Promise<Principal> {
    // One SHA-256 per request: its digest is compared with the master key's in constant time,
    // and its hex is the `token` the cache and the database know.
    const digest = createHash('sha256').update(key).digest();
    if (timingSafeEqual(digest, this.masterDigest)) return this.master;
    const token = digest.toString('hex');
    const record = await this.lookup(token);
    if (!record) throw ApiError.unauthorized(unknownKeyMessage(key));
    if (record.blocked) {
      throw ApiError.unauthorized("Authentication Error, Key is blocked. Update via `/key/unblock` if you're admin.");
    }
    if (record.team?.blocked) {
      throw ApiError.unauthorized(`Authentication Error, Team=${record.team.id} is blocked. Update via \`/team/unblock\` if you're admin.`);
    }
    if (record.expires !== null && record.expires <= Date.now()) {
      throw ApiError.unauthorized(
        `Authentication Error - Expired Key. Key Expiry time ${new Date(record.expires).toISOString()} and current time ${new Date().toISOString()}`,
      );
    }
    return { kind: 'virtual', key: record };
  }

  private async lookup(token: string): Promise<KeyRecord | undefined> {
    const hit = this.cache.get(token);
    if (hit && hit.until > Date.now()) return hit.record;
    const seen = this.unknown.get(token);
    if (seen !== undefined && Date.now() - seen < NEGATIVE_TTL_MS) return undefined;
    // When a busy key's entry expires, its concurrent requests share one read.
    const loading = this.loading.get(token);
    if (loading) return loading;
    const read = this.read(token, hit?.record).finally(() => this.loading.delete(token));
    this.loading.set(token, read);
    return read;
  }

  /**
   * Reads a key. When the database cannot answer, an expired entry keeps serving (the expiry is a
   * backstop to NOTIFY, not a revocation: a changed key's entry is dropped, never left to expire), and
   * is retried a second later; a key never seen is a 503 rather than a 500 or a false 401.
   */
  private async read(token: string, stale: KeyRecord | undefined): Promise<KeyRecord | undefined> {
    const generation = this.generation;
    let record: KeyRecord | undefined;
    try {
      record = await this.keys.findByToken(token);
    } catch {
      if (stale && this.cache.get(token)?.record === stale) {
        this.cache.set(token, { record: stale, until: Date.now() + STALE_RETRY_MS });
        return stale;
      }
      throw new ApiError(503, ErrorType.ServiceUnavailable, 'Authentication is unavailable: the key database cannot be reached. Retry shortly.', null, {
        'retry-after': '1',
      });
    }
    if (generation !== this.generation) return record;
    if (record) {
      this.cache.set(token, { record, until: Date.now() + this.config.keyCacheTtlMs });
      this.unknown.delete(token);
      return record;
    }
    this.cache.delete(token);
    if (this.unknown.size >= MAX_NEGATIVE) this.unknown.clear();
    this.unknown.set(token, Date.now());
    return undefined;
  }

  /**
   * LiteLLM answers 401 when a key may not use a model. `models: []` means every model. `allowed`: the
   * caller's own verdict when aliases and access groups count (see proxy/model-alias.ts). The message
   * names the list that refuses: the key's, its team's or its user's.
   */
  assertModelAllowed(principal: Principal, model: string, allowed = mayUseModel(principal, model)): void {
    if (allowed || principal.kind === 'master') return;
    const { scope, models } = refusedBy(principal.key, model) ?? { scope: 'key', models: principal.key.models };
    throw new ApiError(
      401,
      `${scope}_model_access_denied`,
      `${scope} not allowed to access model. This ${scope} can only access models=${JSON.stringify(models)}. Tried to access ${model}`,
      'model',
    );
  }
}

/**
 * LiteLLM's opening, without its internals (the key's hash, a table name): a key that is not a proxy
 * key at all is not echoed as a made-up `sk-...`; a proxy key is named by its last 4 characters.
 */
function unknownKeyMessage(key: string): string {
  if (!key.startsWith('sk-')) {
    return 'Authentication Error, Invalid proxy server token passed: proxy keys start with "sk-" and this one does not. Send one from /key/generate as "Authorization: Bearer sk-...".';
  }
  return `Authentication Error, Invalid proxy server token passed. Received API Key = ${maskKey(key)}: no such key (mistyped, deleted, or replaced by /key/regenerate). Ask the proxy admin for a key.`;
}
