import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ApiError, ErrorType } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import type { KeyRecord } from '../keys/key-record.js';
import { REDIS_COMMAND_TIMEOUT_MS, RedisLink, within } from './redis-link.js';

export interface Lease {
  /** Ends the request: frees its parallel slot and counts its tokens toward tpm. */
  release(tokens: number): void;
}

const NOOP_LEASE: Lease = { release: () => undefined };
const WINDOW_MS = 60_000;
/** A request slot older than this is taken to belong to a dead instance. */
const PARALLEL_TTL_MS = 15 * 60_000;

interface Window {
  minute: number;
  requests: number;
  tokens: number;
  inFlight: number;
}

/** Starts a new window when the minute changed (in-flight requests carry over). */
function roll(w: Window, minute: number): void {
  if (w.minute === minute) return;
  w.minute = minute;
  w.requests = 0;
  w.tokens = 0;
}

function secondsLeftInMinute(now: number): string {
  return String(Math.max(1, Math.ceil((WINDOW_MS - (now % WINDOW_MS)) / 1000)));
}

/** One set of counters: a key (by its hash), a team (`team:<id>`) or a user (`user:<id>`). */
interface LimitScope {
  id: string;
  label: 'key' | 'team' | 'user';
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
}

interface RedisLease extends Lease {
  /** Gives back the request slot and the rpm count (a later scope refused the request). */
  undo(): void;
}

const NO_SCOPES: LimitScope[] = [];

const limited = (s: { rpmLimit: number | null; tpmLimit: number | null; maxParallelRequests: number | null }) =>
  s.rpmLimit !== null || s.tpmLimit !== null || s.maxParallelRequests !== null;

/** The counters a key's requests fall under: its own, its team's and its user's, those with a limit. */
function limitScopes(key: KeyRecord): LimitScope[] {
  if (key.team === null && key.user === null && !limited(key)) return NO_SCOPES;
  const out: LimitScope[] = [];
  if (limited(key)) out.push({ id: key.token, label: 'key', rpmLimit: key.rpmLimit, tpmLimit: key.tpmLimit, maxParallelRequests: key.maxParallelRequests });
  for (const [label, s] of [['team', key.team] as const, ['user', key.user] as const]) {
    if (s && limited(s)) out.push({ id: s.entity, label, rpmLimit: s.rpmLimit, tpmLimit: s.tpmLimit, maxParallelRequests: s.maxParallelRequests });
  }
  return out;
}

function limitError(scope: string, kind: string, current: number, limit: number, retryAfter: string): ApiError {
  return new ApiError(
    429,
    ErrorType.RateLimit,
    `Rate limit exceeded for ${scope}: ${kind} limit ${limit} reached (current ${kind}: ${current}). Crossed TPM / RPM / Max Parallel Request Limit. Retry after ${retryAfter} s.`,
    null,
    { 'retry-after': retryAfter },
  );
}

/**
 * Per-key, per-team and per-user rpm / tpm / parallel limits over fixed one-minute windows. Counters live in memory,
 * or in Redis when `REDIS_URL` is set so that N instances enforce one limit.
 */
@Injectable()
export class LimitsService implements OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly link?: RedisLink;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (config.redisUrl) this.link = new RedisLink(config.redisUrl);
  }

  /** Whether limits are shared through Redis right now, and how often memory stood in; undefined without REDIS_URL. */
  get redisState(): { up: boolean; fallbacks: number } | undefined {
    return this.link && { up: this.link.isUp, fallbacks: this.link.fallbacks };
  }

  /** Admits a request or throws 429 with `retry-after`. Keys without limits (theirs, their team's, their user's) cost nothing. */
  acquire(key: KeyRecord): Lease | Promise<Lease> {
    const scopes = limitScopes(key);
    if (scopes.length === 0) return NOOP_LEASE;
    const link = this.link;
    if (!link) return this.acquireMemory(scopes);
    if (link.usable) {
      // Only a Redis failure falls back to memory; a refusal (429) from the shared counters stands.
      return this.acquireRedisAll(scopes, link.redis).catch((err: unknown) => {
        if (err instanceof ApiError) throw err;
        link.down((err as Error).message);
        link.fallbacks++;
        return this.acquireMemory(scopes);
      });
    }
    link.fallbacks++;
    return this.acquireMemory(scopes);
  }

  /** Every scope is checked before any is counted: a request refused by its team's limit uses none of its key's. */
  private acquireMemory(scopes: LimitScope[]): Lease {
    const now = Date.now();
    const minute = Math.floor(now / WINDOW_MS);
    const wins = scopes.map((s) => {
      let w = this.windows.get(s.id);
      if (!w) this.windows.set(s.id, (w = { minute, requests: 0, tokens: 0, inFlight: 0 }));
      roll(w, minute);
      if (s.maxParallelRequests !== null && w.inFlight >= s.maxParallelRequests) {
        throw limitError(s.label, 'max_parallel_requests', w.inFlight, s.maxParallelRequests, '1');
      }
      if (s.rpmLimit !== null && w.requests >= s.rpmLimit) throw limitError(s.label, 'rpm', w.requests, s.rpmLimit, secondsLeftInMinute(now));
      if (s.tpmLimit !== null && w.tokens >= s.tpmLimit) throw limitError(s.label, 'tpm', w.tokens, s.tpmLimit, secondsLeftInMinute(now));
      return w;
    });
    for (const w of wins) {
      w.requests++;
      w.inFlight++;
    }
    return {
      release: (tokens: number) => {
        for (const win of wins) {
          win.inFlight--;
          // Tokens count toward the minute the request ends in, as on the Redis path.
          roll(win, Math.floor(Date.now() / WINDOW_MS));
          win.tokens += tokens;
        }
      },
    };
  }

  /** One scope after the other; a refusal undoes what the earlier scopes counted. */
  private async acquireRedisAll(scopes: LimitScope[], redis: Redis): Promise<Lease> {
    const taken: RedisLease[] = [];
    try {
      for (const s of scopes) taken.push(await this.acquireRedis(s, redis));
    } catch (err) {
      for (const t of taken) t.undo();
      throw err;
    }
    return taken.length === 1 ? taken[0] : { release: (tokens) => taken.forEach((t) => t.release(tokens)) };
  }

  private async acquireRedis(s: LimitScope, redis: Redis): Promise<RedisLease> {
    const now = Date.now();
    const minute = Math.floor(now / WINDOW_MS);
    const rpmKey = `mp:rpm:${s.id}:${minute}`;
    const tpmKey = `mp:tpm:${s.id}:${minute}`;
    // In-flight requests are members of a sorted set scored by start time, so the slots of an
    // instance that died mid-request age out (PARALLEL_TTL_MS) instead of leaking forever.
    const parKey = `mp:par:${s.id}`;
    const member = `${now}:${randomUUID()}`;
    const undo = () =>
      void redis
        .multi()
        .zrem(parKey, member)
        .decr(rpmKey)
        .exec()
        .catch(() => undefined);
    const transaction = redis
      .multi()
      .incr(rpmKey)
      .pexpire(rpmKey, 2 * WINDOW_MS)
      .get(tpmKey)
      .zremrangebyscore(parKey, 0, now - PARALLEL_TTL_MS)
      .zadd(parKey, now, member)
      .zcard(parKey)
      .pexpire(parKey, PARALLEL_TTL_MS)
      .exec();
    let res: Awaited<typeof transaction>;
    try {
      res = await within(transaction, REDIS_COMMAND_TIMEOUT_MS + 100);
    } catch (err) {
      // A stalled Redis still runs the MULTI once it resumes: the undo, sent after it on the same
      // connection, runs right behind it, so the slot of a request counted in memory is not left taken.
      undo();
      throw err;
    }
    if (!res) throw new Error('redis transaction aborted');
    const requests = Number(res[0][1]);
    const tokens = Number(res[2][1] ?? 0);
    const inFlight = Number(res[5][1]);
    if (s.maxParallelRequests !== null && inFlight > s.maxParallelRequests) {
      undo();
      throw limitError(s.label, 'max_parallel_requests', inFlight - 1, s.maxParallelRequests, '1');
    }
    if (s.rpmLimit !== null && requests > s.rpmLimit) {
      undo();
      throw limitError(s.label, 'rpm', requests - 1, s.rpmLimit, secondsLeftInMinute(now));
    }
    if (s.tpmLimit !== null && tokens >= s.tpmLimit) {
      undo();
      throw limitError(s.label, 'tpm', tokens, s.tpmLimit, secondsLeftInMinute(now));
    }
    return {
      undo,
      release: (used: number) => {
        const m = redis.multi().zrem(parKey, member);
        if (used > 0) {
          const current = `mp:tpm:${s.id}:${Math.floor(Date.now() / WINDOW_MS)}`;
          m.incrby(current, used).pexpire(current, 2 * WINDOW_MS);
        }
        void m.exec().catch(() => undefined);
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.link?.close();
  }
}
