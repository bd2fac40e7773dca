import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { ApiError, ErrorType } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import type { KeyRecord } from '../keys/key-record.js';

export interface Lease {
  /** Ends the request: frees its parallel slot and counts its tokens toward tpm. */
  release(tokens: number): void;
}

const NOOP_LEASE: Lease = { release: () => undefined };
const WINDOW_MS = 60_000;

interface Window {
  minute: number;
  requests: number;
  tokens: number;
  inFlight: number;
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
  private readonly logger = new Logger(LimitsService.name);
  private readonly windows = new Map<string, Window>();
  private readonly redis?: Redis;
  private redisDownLogged = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (config.redisUrl) {
      this.redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
      this.redis.on('error', (err: Error) => {
        if (!this.redisDownLogged) this.logger.warn(`Redis unavailable (${err.message}); rate limits fall back to this instance's memory`);
        this.redisDownLogged = true;
      });
      this.redis.on('ready', () => (this.redisDownLogged = false));
    }
  }

  /** Admits a request or throws 429 with `retry-after`. Keys without limits cost nothing. */
  acquire(key: KeyRecord): Lease | Promise<Lease> {
    if (key.rpmLimit === null && key.tpmLimit === null && key.maxParallelRequests === null) return NOOP_LEASE;
    if (this.redis && this.redis.status === 'ready') return this.acquireRedis(key, this.redis).catch(() => this.acquireMemory(key));
    return this.acquireMemory(key);
  }

  private acquireMemory(key: KeyRecord): Lease {
    const now = Date.now();
    const minute = Math.floor(now / WINDOW_MS);
    let w = this.windows.get(key.token);
    if (!w) this.windows.set(key.token, (w = { minute, requests: 0, tokens: 0, inFlight: 0 }));
    if (w.minute !== minute) {
      w.minute = minute;
      w.requests = 0;
      w.tokens = 0;
    }
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
        if (win.minute === Math.floor(Date.now() / WINDOW_MS)) win.tokens += tokens;
      },
    };
  }

  private async acquireRedis(key: KeyRecord, redis: Redis): Promise<Lease> {
    const now = Date.now();
    const minute = Math.floor(now / WINDOW_MS);
    const rpmKey = `mp:rpm:${key.token}:${minute}`;
    const tpmKey = `mp:tpm:${key.token}:${minute}`;
    const parKey = `mp:par:${key.token}`;
    const res = await redis.multi().incr(rpmKey).pexpire(rpmKey, 2 * WINDOW_MS).get(tpmKey).incr(parKey).pexpire(parKey, 10 * WINDOW_MS).exec();
    if (!res) throw new Error('redis transaction aborted');
    const requests = Number(res[0][1]);
    const tokens = Number(res[2][1] ?? 0);
    const inFlight = Number(res[3][1]);
    const undo = (rpm: boolean) => {
      const m = redis.multi().decr(parKey);
      if (rpm) m.decr(rpmKey);
      void m.exec().catch(() => undefined);
    };
    if (key.maxParallelRequests !== null && inFlight > key.maxParallelRequests) {
      undo(true);
      throw limitError('max_parallel_requests', inFlight - 1, key.maxParallelRequests, '1');
    }
    if (key.rpmLimit !== null && requests > key.rpmLimit) {
      undo(true);
      throw limitError('rpm', requests - 1, key.rpmLimit, secondsLeftInMinute(now));
    }
    if (key.tpmLimit !== null && tokens >= key.tpmLimit) {
      undo(true);
      throw limitError('tpm', tokens, key.tpmLimit, secondsLeftInMinute(now));
    }
    return {
      release: (used: number) => {
        const m = redis.multi().decr(parKey);
        if (used > 0) {
          const current = `mp:tpm:${key.token}:${Math.floor(Date.now() / WINDOW_MS)}`;
          m.incrby(current, used).pexpire(current, 2 * WINDOW_MS);
        }
        void m.exec().catch(() => undefined);
      },
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis?.quit().catch(() => undefined);
  }
}
