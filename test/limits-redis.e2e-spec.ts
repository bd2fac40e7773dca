import { type ChildProcess, spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../src/common/secrets.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { closedPort, waitFor } from './helpers/sdk.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Rate limits with a Redis that stalls, dies and comes back: requests never hang on it, limits are
// counted by the instance meanwhile (one warning, a metric), and go back to Redis when it answers.
// The Redis here is the test's own, on a port of its own; the machine's 6379 is never touched.

const MODEL_ID = 'mock/redis-outage-model';

/** `redis-server` on `port`, in the foreground; resolves once it accepts connections. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(() => /Ready to accept connections/.test(out) || child.exitCode !== null, 10_000);
  if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
  return child;
}

async function stopRedis(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT');
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

describe('rate limits when Redis stalls or goes away', { timeout: 60_000 }, () => {
  let db: TestDatabase;
  let mock: MockVllm;
  let app: TestProxy;
  let port: number;
  let redis: ChildProcess | undefined;
  let probe: Redis;
  const lines: string[] = [];

  beforeAll(async () => {
    port = await closedPort();
    [db, mock, redis] = await Promise.all([createTestDatabase(), startMockVllm({ model: MODEL_ID }), startRedis(port)]);
    probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    probe.on('error', () => undefined);
    await probe.connect();
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { REDIS_URL: `redis://127.0.0.1:${port}` },
      logger: pino({ level: 'info' }, sink),
      models: [{ model_name: 'm', litellm_params: { model: `openai/${MODEL_ID}`, api_base: mock.url } }],
    });
  });
  afterAll(async () => {
    await app?.close();
    probe?.disconnect();
    await stopRedis(redis);
    await mock?.close();
    await db?.drop();
  });

  /** One chat completion; fails the test if it takes longer than `withinMs` instead of hanging. */
  async function chat(key: string, withinMs = 3_000): Promise<{ status: number; ms: number }> {
    const t0 = Date.now();
    const res = await fetch(`${app.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      signal: AbortSignal.timeout(withinMs),
    });
    await res.text();
    return { status: res.status, ms: Date.now() - t0 };
  }

  /** Requests of this key counted in Redis, over every minute window. */
  async function countedInRedis(token: string): Promise<number> {
    const keys = await probe.keys(`mp:rpm:${token}:*`);
    const values = keys.length ? await probe.mget(...keys) : [];
    return values.reduce((sum, v) => sum + Number(v ?? 0), 0);
  }

  const metrics = async () => (await app.fetch('/metrics')).text();
  const redisWarnings = () => lines.filter((l) => /"level":40/.test(l) && /Redis/.test(l));

  it('stalled (SIGSTOP): requests are served from memory at once, one warning, a metric; back to Redis on SIGCONT', async () => {
    const res = await app.fetch('/key/generate', { method: 'POST', json: { rpm_limit: 1000, max_parallel_requests: 5 } });
    const { key } = (await res.json()) as { key: string };
    const token = hashKey(key);
    expect((await chat(key)).status).toBe(200);
    expect(await countedInRedis(token)).toBe(1);
    expect(metric(await metrics(), 'model_proxy_redis_up')).toBe(1);
    const fallbacksBefore = metric(await metrics(), 'model_proxy_redis_fallback_total') ?? 0;

    redis!.kill('SIGSTOP');
    try {
      for (let i = 0; i < 6; i++) {
        const r = await chat(key);
        expect(r.status).toBe(200);
        expect(r.ms).toBeLessThan(1_500);
      }
      expect(redisWarnings()).toHaveLength(1);
      const m = await metrics();
      expect(metric(m, 'model_proxy_redis_up')).toBe(0);
      expect(metric(m, 'model_proxy_redis_fallback_total')! - fallbacksBefore).toBeGreaterThanOrEqual(6);
    } finally {
      redis!.kill('SIGCONT');
    }

    // Counted in Redis again within a few seconds of it answering.
    const before = await countedInRedis(token);
    await waitFor(
      async () => {
        await chat(key);
        return (await countedInRedis(token)) > before;
      },
      8_000,
      200,
    );
    expect(metric(await metrics(), 'model_proxy_redis_up')).toBe(1);
    expect(lines.some((l) => /Redis is back/.test(l))).toBe(true);
    // What the stall left half-done (a slot taken for a request counted in memory) is undone.
    await waitFor(async () => (await probe.zcard(`mp:par:${token}`)) === 0, 3_000, 100);
  });

  it('gone (killed): requests are served from memory at once; shared again once it restarts', async () => {
    const res = await app.fetch('/key/generate', { method: 'POST', json: { rpm_limit: 1000 } });
    const { key } = (await res.json()) as { key: string };
    const token = hashKey(key);
    expect((await chat(key)).status).toBe(200);
    const warnings = redisWarnings().length;

    await stopRedis(redis);
    for (let i = 0; i < 5; i++) {
      const r = await chat(key);
      expect(r.status).toBe(200);
      expect(r.ms).toBeLessThan(1_500);
    }
    // One more warning for this outage, however many requests and reconnect attempts.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(redisWarnings().length - warnings).toBe(1);
    expect(metric(await metrics(), 'model_proxy_redis_up')).toBe(0);

    redis = await startRedis(port);
    await waitFor(async () => probe.status === 'ready', 5_000, 100);
    await waitFor(
      async () => {
        await chat(key);
        return (await countedInRedis(token)) > 0;
      },
      8_000,
      200,
    );
    expect(metric(await metrics(), 'model_proxy_redis_up')).toBe(1);
  });
});
