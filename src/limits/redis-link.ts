import { Logger } from '@nestjs/common';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';

/** ioredis is loaded only when REDIS_URL is set: ~5 MB of RSS a proxy without Redis does not carry. */
const load = createRequire(import.meta.url);

/** A command Redis has not answered by then is failed, and the request is counted in memory instead. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 1_000;
/** While Redis is down, a PING this often finds out when it answers again. */
const PROBE_EVERY_MS = 1_000;

/**
 * The connection the shared limits use, and whether to trust it. A stalled or lost Redis never holds
 * a request: commands fail after REDIS_COMMAND_TIMEOUT_MS (or at once when not connected), the link
 * is marked down (one warning per outage), and requests are counted in memory without asking Redis
 * until a background PING (or a reconnect) finds it answering again.
 */
export class RedisLink {
  private readonly logger = new Logger('LimitsService');
  readonly redis: Redis;
  private healthy = true;
  private probe?: NodeJS.Timeout;
  /** Requests counted in this instance's memory because Redis was unavailable. */
  fallbacks = 0;

  constructor(url: string) {
    const { Redis: Client } = load('ioredis') as typeof import('ioredis');
    this.redis = new Client(url, {
      connectTimeout: CONNECT_TIMEOUT_MS,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      // Fail rather than queue or replay: a request already counted in memory must not count again later.
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      keepAlive: 10_000,
      retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    });
    this.redis.on('error', (err: Error) => this.down(err.message));
    this.redis.on('close', () => this.down('connection closed'));
    this.redis.on('ready', () => this.up());
  }

  /** Worth asking: connected, and not known to be stalled. */
  get usable(): boolean {
    return this.healthy && this.redis.status === 'ready';
  }

  /** For the metric: 1 while limits are shared through Redis. */
  get isUp(): boolean {
    return this.usable;
  }

  down(reason: string): void {
    if (!this.healthy) return;
    this.healthy = false;
    this.logger.warn(`Redis unavailable (${reason}); rate limits are counted by this instance alone until it answers again`);
    this.probe = setInterval(() => {
      if (this.redis.status !== 'ready') return;
      this.redis.ping().then(
        () => this.up(),
        () => undefined,
      );
    }, PROBE_EVERY_MS).unref();
  }

  up(): void {
    if (this.healthy) return;
    this.healthy = true;
    clearInterval(this.probe);
    this.logger.log('Redis is back: rate limits are shared again');
  }

  async close(): Promise<void> {
    clearInterval(this.probe);
    this.redis.removeAllListeners('close');
    await this.redis.quit().catch(() => undefined);
  }
}

/** `promise`, or a rejection after `ms`: a belt to ioredis's per-command timeout for a whole MULTI. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
