import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { rejectionOf, withMock } from './helpers/sdk.js';

const UPSTREAM_KEY = 'sk-upstream-secret-9f3a1c';

/** Prometheus text exposition: every non-comment line is `name{labels} value`. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (-?[\d.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    out.set(m[1], Number(m[2]));
  }
  return out;
}

describe('metrics and logs', () => {
  let db: TestDatabase;
  let mock: MockVllm;
  let app: TestProxy;
  const lines: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    mock = await startMockVllm({ model: 'google/gemma-4-31b', apiKey: UPSTREAM_KEY });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { STORE_MODEL_IN_DB: 'True', METRICS_TOKEN: 'scrape-token-123' },
      logger: pino({ level: 'debug' }, sink),
      // The fault below must not cool the only deployment down for the tests after it.
      settings: { router_settings: { allowed_fails: 100 } },
      models: [
        {
          model_name: 'gemma',
          litellm_params: { model: 'openai/google/gemma-4-31b', api_base: mock.url, api_key: UPSTREAM_KEY },
          model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
        },
      ],
    });
  });
  afterAll(async () => {
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  it('counts requests, tokens, spend and upstream errors in Prometheus text', async () => {
    const read = async (token: string) => {
      const res = await app.fetch('/metrics', { key: token });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return parseMetrics(await res.text());
    };
    const before = await read('scrape-token-123');
    const sdk = app.client();
    await sdk.chat.completions.create({ model: 'gemma', messages: [{ role: 'user', content: 'a b c' }], max_tokens: 5 });
    const stream = await sdk.chat.completions.create({ model: 'gemma', messages: [{ role: 'user', content: 'a' }], max_tokens: 2, stream: true });
    for await (const _ of stream) void _;
    await rejectionOf(sdk.chat.completions.create(withMock({ model: 'gemma', messages: [{ role: 'user', content: 'a' }] }, { fault: '500' })));
    await app.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'no-such-model', messages: [] } });

    const after = await read(MASTER_KEY);
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    expect(delta('model_proxy_requests_total{model="gemma",status="200"}')).toBe(2);
    expect(delta('model_proxy_requests_total{model="gemma",status="502"}')).toBe(1);
    // Unknown aliases share one label, so clients cannot blow up the series count.
    expect(delta('model_proxy_requests_total{model="unknown",status="400"}')).toBe(1);
    expect(delta('model_proxy_tokens_total{model="gemma",direction="out"}')).toBe(7);
    expect(delta('model_proxy_tokens_total{model="gemma",direction="in"}')).toBe(4);
    expect(delta('model_proxy_spend_usd_total{model="gemma"}')).toBeCloseTo(4 * 0.001 + 7 * 0.002, 9);
    expect(delta('model_proxy_upstream_errors_total{model="gemma",kind="http_5xx"}')).toBeGreaterThanOrEqual(1);
    expect(delta('model_proxy_time_to_first_token_seconds_count{model="gemma"}')).toBe(1);
    expect(after.get('model_proxy_in_flight_requests')).toBe(0);
    expect(after.has('model_proxy_spend_queue_depth')).toBe(true);
  });

  it('refuses /metrics without the master key or the metrics token', async () => {
    expect((await app.fetch('/metrics', { key: null })).status).toBe(401);
    expect((await app.fetch('/metrics', { key: 'sk-wrong' })).status).toBe(401);
  });

  it('logs one JSON line per request and never a key, a prompt or a completion', async () => {
    const gen = await app.fetch('/key/generate', { method: 'POST', json: { key_alias: 'log-test' } });
    const virtualKey = ((await gen.json()) as { key: string }).key;
    const prompt = 'the-secret-prompt-words';
    const answer = await app.client(virtualKey).chat.completions.create({ model: 'gemma', messages: [{ role: 'user', content: prompt }], max_tokens: 3 });
    await app.fetch(`/key/info?key=${virtualKey}`);
    await app.fetch('/v1/models', { key: null, headers: { 'x-litellm-api-key': virtualKey } });
    await app.fetch('/model/new', {
      method: 'POST',
      json: { model_name: 'm2', litellm_params: { model: 'openai/x', api_base: mock.url, api_key: 'sk-model-secret-777' } },
    });
    await app.fetch('/v1/chat/completions', { method: 'POST', key: 'sk-wrong-key-12345678', json: { model: 'gemma', messages: [] } });

    const requestLines = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.model === 'gemma');
    expect(requestLines.some((l) => l.status === 200 && l.tokens_out === 3 && typeof l.ms === 'number' && typeof l.req_id === 'string')).toBe(true);
    const all = lines.join('\n');
    for (const secret of [
      MASTER_KEY,
      virtualKey,
      UPSTREAM_KEY,
      'sk-model-secret-777',
      'sk-wrong-key-12345678',
      'scrape-token-123',
      prompt,
      answer.choices[0].message.content!,
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});
