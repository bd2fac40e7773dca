import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope, uniqueTag, waitFor } from './helpers/sdk.js';
import { generateKey, sleep, type SpendRow } from './helpers/spend.js';

// Hardening issue, items 2 and 3: input bounds, slow and stalled peers, and slots that are always
// given back. Raw sockets where an SDK cannot misbehave on purpose.

const GEMMA = 'google/gemma-4-31b';
const MAX_BODY = 64 * 1024;
const user = (content: string) => [{ role: 'user' as const, content }];

/** A raw connection to the proxy; `answer` resolves with everything the server sent once it closes. */
function rawConnection(url: string): { socket: Socket; answer: Promise<string>; closedAt: Promise<number> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let got = '';
  socket.on('data', (d) => (got += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closedAt = new Promise<number>((r) => socket.once('close', () => r(Date.now())));
  return { socket, answer: closedAt.then(() => got), closedAt };
}

function head(path: string, length: number, key = MASTER_KEY, extra = ''): string {
  return `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;
}

describe('hostile clients: bounds, stalls and slots', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let app: TestProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    gemma = await startMockVllm({ model: GEMMA });
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [
        {
          model_name: 'gemma',
          litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
          model_info: { input_cost_per_token: 0.0000002, output_cost_per_token: 0.0000008 },
        },
      ],
      env: {
        MAX_REQUEST_BODY_BYTES: String(MAX_BODY),
        MAX_INFLIGHT_BODY_BYTES: String(2 * MAX_BODY),
        MAX_JSON_DEPTH: '32',
        STREAM_STALL_TIMEOUT_MS: '500',
        REQUEST_TIMEOUT_MS: '1500',
        HEADERS_TIMEOUT_MS: '1000',
        MAX_CONNECTIONS: '40',
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await gemma?.close();
    await db?.drop();
  });

  describe('input bounds', () => {
    it('deeply nested JSON is a 400 naming the limit, and the key is not locked out afterwards', async () => {
      const key = await generateKey(app, { max_parallel_requests: 1 });
      const deep = '['.repeat(10_000) + ']'.repeat(10_000);
      const res = await app.fetch('/v1/chat/completions', {
        method: 'POST',
        key: key.key,
        headers: { 'content-type': 'application/json' },
        body: `{"model":"gemma","messages":[{"role":"user","content":"x"}],"extra":${deep}}`,
      });
      const err = await expectErrorEnvelope(res, 400);
      expect(err.message).toMatch(/nested too deeply.*32.*MAX_JSON_DEPTH/);
      // The parallel slot was given back: the next request passes.
      for (let i = 0; i < 2; i++) {
        const ok = await app.client(key.key).chat.completions.create({ model: 'gemma', messages: user('hi'), max_tokens: 1 });
        expect(ok.choices).toHaveLength(1);
      }
    });

    it('a body over MAX_REQUEST_BODY_BYTES is a 413 saying the limit', async () => {
      const res = await app.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'gemma', messages: user('x'.repeat(MAX_BODY)) } });
      const err = await expectErrorEnvelope(res, 413);
      expect(err.message).toContain(String(MAX_BODY));
      expect(err.message).toContain('MAX_REQUEST_BODY_BYTES');
    });

    it('beyond the in-flight body budget new requests get 503 with Retry-After; the budget comes back', async () => {
      // Two clients each hold most of a maximal body, unfinished.
      const size = MAX_BODY - 100;
      const holders = [rawConnection(app.url), rawConnection(app.url)];
      for (const h of holders) h.socket.write(head('/v1/chat/completions', size) + 'x'.repeat(size - 1000));
      await sleep(200);
      const res = await app.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'gemma', messages: user('x'.repeat(30_000)) } });
      const err = await expectErrorEnvelope(res, 503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(err.message).toMatch(/too much request data/);
      for (const h of holders) h.socket.destroy();
      await sleep(100);
      const ok = await app.client().chat.completions.create({ model: 'gemma', messages: user('x'.repeat(30_000)), max_tokens: 1 });
      expect(ok.choices).toHaveLength(1);
    });
  });

  describe('slow and stalled peers', () => {
    it('a request body that does not arrive in time is cut (408) after REQUEST_TIMEOUT_MS', async () => {
      const conn = rawConnection(app.url);
      const start = Date.now();
      conn.socket.write(head('/v1/chat/completions', 1000) + '{"model":"gemma",');
      const answer = await Promise.race([conn.answer, sleep(6000).then(() => 'still open')]);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - start).toBeLessThan(4000);
    });

    it('headers that trickle in are cut after HEADERS_TIMEOUT_MS', async () => {
      const conn = rawConnection(app.url);
      conn.socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n');
      const answer = await Promise.race([conn.answer, sleep(6000).then(() => 'still open')]);
      expect(answer).not.toBe('still open');
    });

    it('a client that stops reading a stream is cut after STREAM_STALL_TIMEOUT_MS: backend aborted, delivered tokens billed', async () => {
      const tag = uniqueTag('stall');
      const body = JSON.stringify({ model: 'gemma', messages: user('go'), max_tokens: 400_000, stream: true, user: tag });
      const conn = rawConnection(app.url);
      conn.socket.write(head('/v1/chat/completions', Buffer.byteLength(body)) + body);
      // Read the first bytes, then stop reading for good.
      await new Promise((r) => conn.socket.once('data', r));
      conn.socket.pause();
      const abortsBefore = gemma.aborts.length;
      await waitFor(() => gemma.aborts.length > abortsBefore, 20_000, 50);
      await waitFor(async () => (await db.query('SELECT 1 FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [tag])).length === 1, 5000);
      const [row] = await db.query<SpendRow>('SELECT * FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [tag]);
      expect(row.status).toBe('failure');
      expect(row.metadata).toMatchObject({ error_type: 'client_stalled' });
      expect(row.completion_tokens).toBeGreaterThan(0);
      expect(row.completion_tokens).toBeLessThan(400_000);
      expect(row.spend).toBeGreaterThan(0);
      conn.socket.destroy();
    }, 40_000);

    it('a whole answer the client never reads is dropped after STREAM_STALL_TIMEOUT_MS, not held', async () => {
      // About 8 MB of answer: more than the loopback socket buffers take, so the rest waits in the process.
      const body = JSON.stringify({ model: 'gemma', messages: user('go'), max_tokens: 2_000_000 });
      const conn = rawConnection(app.url);
      conn.socket.write(head('/v1/chat/completions', Buffer.byteLength(body)) + body);
      await new Promise((r) => conn.socket.once('data', r));
      conn.socket.pause();
      const inFlight = async () => Number(/^model_proxy_in_flight_requests (\d+)/m.exec(await (await app.fetch('/metrics')).text())?.[1]);
      expect(await inFlight()).toBe(1);
      // The proxy gives the response up (its in-flight count drops) although the client never read it.
      await waitFor(async () => (await inFlight()) === 0, 10_000, 200);
      conn.socket.destroy();
    }, 30_000);

    it('a client that leaves while its key is still being looked up is seen: no backend request, no slot held', async () => {
      // A key not yet in the cache: authentication waits on the database, and the client is gone by then.
      const key = await generateKey(app, { max_parallel_requests: 1 });
      const tag = uniqueTag('early-leave');
      const body = JSON.stringify({ model: 'gemma', messages: user('x'), max_tokens: 1, user: tag, mock: { fault: 'hang' } });
      const conn = rawConnection(app.url);
      conn.socket.end(head('/v1/chat/completions', Buffer.byteLength(body), key.key) + body, () => conn.socket.destroy());
      await sleep(300);
      const ok = await app.client(key.key).chat.completions.create({ model: 'gemma', messages: user('next'), max_tokens: 1 });
      expect(ok.choices).toHaveLength(1);
      const held = gemma.requests.filter((r) => (r.body as { user?: string })?.user === tag);
      // Forwarded or not, nothing may be left hanging at the backend.
      if (held.length > 0) await waitFor(() => gemma.aborts.length > 0, 2000);
    });

    it('a client that leaves while its backend has not answered aborts the backend request and frees its slot', async () => {
      const key = await generateKey(app, { max_parallel_requests: 1 });
      const tag = uniqueTag('leave-hang');
      const body = JSON.stringify({ model: 'gemma', messages: user('x'), max_tokens: 1, user: tag, mock: { fault: 'hang' } });
      const conn = rawConnection(app.url);
      const abortsBefore = gemma.aborts.length;
      conn.socket.write(head('/v1/chat/completions', Buffer.byteLength(body), key.key) + body);
      await waitFor(() => gemma.requests.some((r) => (r.body as { user?: string })?.user === tag), 3000);
      conn.socket.destroy();
      await waitFor(() => gemma.aborts.length > abortsBefore, 3000);
      const ok = await app.client(key.key).chat.completions.create({ model: 'gemma', messages: user('next'), max_tokens: 1 });
      expect(ok.choices).toHaveLength(1);
    });

    it('connections beyond MAX_CONNECTIONS are closed at once; the server keeps serving', async () => {
      const idle = Array.from({ length: 40 }, () => rawConnection(app.url));
      await sleep(300);
      const extra = rawConnection(app.url);
      const closed = await Promise.race([extra.closedAt.then(() => true), sleep(2000).then(() => false)]);
      expect(closed).toBe(true);
      for (const c of idle) c.socket.destroy();
      await sleep(200);
      const ok = await app.client().chat.completions.create({ model: 'gemma', messages: user('still here'), max_tokens: 1 });
      expect(ok.choices).toHaveLength(1);
    });
  });
});
