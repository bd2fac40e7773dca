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

function limitError(kind: string, current: number, limit: number, retryAfter: string): ApiError {
  return new ApiError(
    429,
    ErrorType.RateLimit,
    `Rate limit exceeded for key: ${kind} limit ${limit} reached (current ${kind}: ${current}). Crossed TPM / RPM / Max Parallel Request Limit. Retry after ${retryAfter} s.`,
    null,
    { 'retry-after': retryAfter },
  );
}

/**
 * Per-key rpm / tpm / parallel limits over fixed one-minute windows. Counters live in memory,
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

  /** Admits a request or throws 429 with `retry-after`. Keys without limits cost nothing. */
  acquire(key: KeyRecord): Lease | Promise<Lease> {
    if (key.rpmLimit === null && key.tpmLimit === null && key.maxParallelRequests === null) return NOOP_LEASE;
    const link = this.link;
    if (!link) return this.acquireMemory(key);
    if (link.usable) {
      // Only a Redis failure falls back to memory; a refusal (429) from the shared counters stands.
      return this.acquireRedis(key, link.redis).catch((err: unknown) => {
        if (err instanceof ApiError) throw err;
        link.down((err as Error).message);
        link.fallbacks++;
        return this.acquireMemory(key);
      });
    }
    link.fallbacks++;
    return this.acquireMemory(key);
  }

  private acquireMemory(key: KeyRecord): Lease {
    const now = Date.now();
    const minute = Math.floor(now / WINDOW_MS);
    let w = this.windows.get(key.token);
    if (!w) this.windows.set(key.token, (w = { minute, requests: 0, tokens: 0, inFlight: 0 }));
    roll(w, minute);
    if (key.maxParallelRequests !== null && w.inFlight >= key.maxParallelRequests) {
      throw limitError('max_parallel_requests', w.inFlight, key.maxParallelRequests, '1');
    }
    if (key.rpmLimit !== null && w.requests >= key.rpmLimit) throw limitError('rpm', w.requests, key.rpmLimit, secondsLeftInMinute(now));
    if (key.tpmLimit !== null && w.tokens >= key.tpmLimit) throw limitError('tpm', w.tokens, key.tpmLimit, secondsLeftInMinute(now));
    w.requests++;
    w.inFlight++;
    const win = w;
    return {
      release: (tokens: number) => {
        win.inFlight--;
        // Tokens count toward the minute the request ends in, as on the Redis path.
        roll(win, Math.floor(Date.now() / WINDOW_MS));
        win.tokens += tokens;
      },
    };
  }

  private async acquireRedis(key: KeyRecord, redis: Redis): Promise<Lease> {
    const now = Date.now();
    const minute = Math.floor(now / WINDOW_MS);
    const rpmKey = `mp:rpm:${key.token}:${minute}`;
    const tpmKey = `mp:tpm:${key.token}:${minute}`;
    // In-flight requests are members of a sorted set scored by start time, so the slots of an
    // instance that died mid-request age out (PARALLEL_TTL_MS) instead of leaking forever.
    const parKey = `mp:par:${key.token}`;
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
    if (key.maxParallelRequests !== null && inFlight > key.maxParallelRequests) {
      undo();
      throw limitError('max_parallel_requests', inFlight - 1, key.maxParallelRequests, '1');
    }
    if (key.rpmLimit !== null && requests > key.rpmLimit) {
      undo();
      throw limitError('rpm', requests - 1, key.rpmLimit, secondsLeftInMinute(now));
    }
    if (key.tpmLimit !== null && tokens >= key.tpmLimit) {
      undo();
      throw limitError('tpm', tokens, key.tpmLimit, secondsLeftInMinute(now));
    }
    return {
      release: (used: number) => {
        const m = redis.multi().zrem(parKey, member);
        if (used > 0) {
          const current = `mp:tpm:${key.token}:${Math.floor(Date.now() / WINDOW_MS)}`;
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
