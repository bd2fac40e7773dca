import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { apiErrorOf, closedPort, expectErrorEnvelope, withMock } from './helpers/sdk.js';
import { expectMoney, generateKey, type GeneratedKey } from './helpers/spend.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Issue 16 over HTTP: the routes behind the admin UI's Spend, Keys and Models pages — usage from the
// hourly rollup (checked against the log rows in PostgreSQL), percentiles and errors from the log,
// substring alias search, last_active, deployment health and the UI's config.

const MODEL = 'google/gemma-4-31b';
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
const COOLDOWN_S = 30;
const user = (content: string) => [{ role: 'user' as const, content }];

describe('console API: usage, health, key search', () => {
  let db: TestDatabase;
  let good: MockVllm;
  let duoA: MockVllm;
  let duoB: MockVllm;
  let app: TestProxy;
  let keyA: GeneratedKey;
  let keyB: GeneratedKey;

  const json = async <T = Record<string, unknown>>(path: string, status = 200): Promise<T> => {
    const res = await app.fetch(path);
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  };
  const chat = (key: string, model = 'gemma', stream = false) =>
    stream
      ? app
          .client(key)
          .chat.completions.create({ model, messages: user('hi'), max_tokens: 3, stream: true })
          .then(async (s) => {
            for await (const _ of s);
          })
      : app.client(key).chat.completions.create({ model, messages: user('hi'), max_tokens: 3 });
  /** Sums straight from the log rows, the source of truth the rollup must match. */
  const logSums = async (where = 'true', params: unknown[] = []) => {
    const [r] = await db.query<Record<string, string | number>>(
      `SELECT coalesce(sum(spend), 0)::float8 AS spend, count(*)::int AS requests, (count(*) FILTER (WHERE status = 'failure'))::int AS failed_requests,
        coalesce(sum(prompt_tokens + completion_tokens), 0)::int AS total_tokens FROM "LiteLLM_SpendLogs" WHERE ${where}`,
      params,
    );
    return r;
  };

  beforeAll(async () => {
    const dead = await closedPort();
    [db, good, duoA, duoB] = await Promise.all([
      createTestDatabase(),
      startMockVllm({ model: MODEL }),
      startMockVllm({ model: MODEL }),
      startMockVllm({ model: MODEL }),
    ]);
    const dep = (name: string, base: string) => ({ model_name: name, litellm_params: { model: `openai/${MODEL}`, api_base: base }, model_info: PRICES });
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [dep('gemma', good.url), dep('llama', good.url), dep('duo', duoA.url), dep('duo', duoB.url), dep('dead', `http://127.0.0.1:${dead}/v1`)],
      settings: { router_settings: { cooldown_time: COOLDOWN_S }, litellm_settings: { num_retries: 0 } },
    });
    keyA = await generateKey(app, { key_alias: 'usage-a', team_id: 'team-one' });
    keyB = await generateKey(app, { key_alias: 'usage-b-Search', team_id: 'team-two' });
    for (let i = 0; i < 3; i++) await chat(keyA.key);
    await chat(keyA.key, 'gemma', true);
    await chat(keyB.key);
    await chat(keyB.key, 'llama');
    // One failure the client saw as a 502 (the backend's 500, no retry).
    expect((await apiErrorOf(app.client(keyA.key).chat.completions.create(withMock({ model: 'gemma', messages: user('x') }, { fault: '500' })))).status).toBe(
      502,
    );
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([good?.close(), duoA?.close(), duoB?.close()]);
    await db?.drop();
  });

  it('totals, series and per key/team/model tables equal the log rows, whole and filtered by key, team and model', async () => {
    const all = await json<{ totals: Record<string, number>; series: Array<Record<string, number | string | null>>; by_key: unknown[]; by_model: unknown[] }>(
      '/spend/usage',
    );
    const sums = await logSums();
    expect(all.totals).toMatchObject({ requests: 7, failed_requests: 1, total_tokens: sums.total_tokens });
    expectMoney(all.totals.spend, Number(sums.spend));
    // The hourly rollup holds each request exactly once.
    const [rollup] = await db.query<{ n: string }>(`SELECT sum(requests)::int AS n FROM "model_proxy_hourly_spend"`);
    expect(Number(rollup.n)).toBe(7);
    expect(all.series.reduce((n, p) => n + Number(p.requests), 0)).toBe(7);

    const a = await json<{ totals: Record<string, number>; by_key: Array<{ key_alias: string }> }>(`/spend/usage?api_key=${keyA.key}`);
    const aSums = await logSums('api_key = $1', [keyA.token]);
    expect(a.totals).toMatchObject({ requests: 5, failed_requests: 1, total_tokens: aSums.total_tokens });
    expect(a.by_key.map((k) => k.key_alias)).toEqual(['usage-a']);

    const team = await json<{ totals: Record<string, number> }>('/spend/usage?team_id=team-two');
    expect(team.totals.requests).toBe(2);
    const llama = await json<{ totals: Record<string, number>; by_team: Array<{ team_id: string }> }>('/spend/usage?model=llama');
    expect(llama.totals.requests).toBe(1);
    expect(llama.by_team.map((t) => t.team_id)).toEqual(['team-two']);

    const split = await json<{ granularity: string; series: Array<{ group: string; bucket: string; requests: number }> }>(
      '/spend/usage?granularity=hour&split_by=model&start_date=' + new Date(Date.now() - 86_400_000).toISOString(),
    );
    expect(split.granularity).toBe('hour');
    expect(new Set(split.series.map((p) => p.group))).toEqual(new Set(['gemma', 'llama']));
    expect(new Date(split.series[0].bucket).getUTCMinutes()).toBe(0);
  });

  it('latency and time-to-first-token percentiles come from the successful rows; errors by status code and type', async () => {
    const lat = await json<{ sampled: number; latency_ms: { p50: number | null; p99: number | null }; ttft_ms: { p50: number | null }; series: unknown[] }>(
      '/spend/usage/latency?model=gemma',
    );
    expect(lat.sampled).toBe(5);
    expect(lat.latency_ms.p50).toBeGreaterThanOrEqual(0);
    expect(lat.latency_ms.p99).toBeGreaterThanOrEqual(lat.latency_ms.p50!);
    // Only the stream has a first-token time.
    expect(lat.ttft_ms.p50).not.toBeNull();
    expect(lat.series).toHaveLength(1);

    const errors = await json<Array<Record<string, unknown>>>('/spend/usage/errors');
    expect(errors).toEqual([{ status_code: 502, error_type: 'upstream_error', model: 'gemma', count: 1, last_seen: expect.any(String) }]);
    expect(await json(`/spend/usage/errors?api_key=${keyB.token}`)).toEqual([]);
  });

  it('refuses a bad filter with the error envelope, and needs the master key', async () => {
    expect((await expectErrorEnvelope(await app.fetch('/spend/usage?granularity=minute'), 400)).param).toBe('granularity');
    expect((await expectErrorEnvelope(await app.fetch('/spend/usage?start_date=2026-11-10&end_date=2026-11-01'), 400)).param).toBe('start_date');
    const wide = await expectErrorEnvelope(await app.fetch('/spend/usage?granularity=hour&start_date=2026-01-01&end_date=2026-03-01'), 400);
    expect(wide.message).toContain('at most 31 days');
    await expectErrorEnvelope(await app.fetch('/spend/usage/latency?start_date=lots'), 400);
    await expectErrorEnvelope(await app.fetch('/spend/usage', { key: keyA.key }), 403);
    await expectErrorEnvelope(await app.fetch('/health/deployments', { key: null }), 401);
  });

  it('/key/list searches aliases by substring with key_alias_search; key_alias stays exact (LiteLLM)', async () => {
    const list = async (q: string) =>
      (await json<{ keys: Array<{ key_alias: string }> }>(`/key/list?return_full_object=true&${q}`)).keys.map((k) => k.key_alias);
    expect(await list('key_alias_search=search')).toEqual(['usage-b-Search']);
    expect((await list('key_alias_search=usage-')).sort()).toEqual(['usage-a', 'usage-b-Search']);
    expect(await list('key_alias_search=%25')).toEqual([]);
    expect(await list('key_alias=usage-b')).toEqual([]);
    expect(await list('key_alias=usage-a')).toEqual(['usage-a']);
  });

  it("keeps keys' last_active (LiteLLM's column) from the spend writer", async () => {
    const [row] = await db.query<{ last_active: Date | null }>(`SELECT last_active FROM "LiteLLM_VerificationToken" WHERE token = $1`, [keyA.token]);
    const [last] = await db.query<{ t: Date }>(`SELECT max("startTime") AS t FROM "LiteLLM_SpendLogs" WHERE api_key = $1`, [keyA.token]);
    expect(row.last_active?.getTime()).toBe(last.t.getTime());
    const info = await json<{ info: { last_active: string } }>(`/key/info?key=${keyA.token}`);
    expect(info.info.last_active).toBe(last.t.toISOString());
  });

  it('/health/deployments: healthy, unreachable (probe), cooling down (router) with the last error and until when', async () => {
    duoA.setFault('429', 1);
    duoB.setFault('429', 1);
    // gemma and llama share one mock: what its vLLM /metrics reports shows on both (read about every second).
    good.setReportedLoad({ waiting: 7 });
    await new Promise((r) => setTimeout(r, 2_500));
    // One of the two duo deployments answers 429 and cools at once; num_retries 0, so the client may see it.
    await chat(MASTER_KEY, 'duo').catch(() => undefined);
    const { data } = await json<{ data: Array<Record<string, unknown>> }>('/health/deployments');
    expect(data).toHaveLength(5);
    const byName = (n: string) => data.filter((d) => d.model_name === n);
    expect(byName('llama')[0]).toMatchObject({
      state: 'healthy',
      last_error: null,
      cooldown_until: null,
      in_flight: 0,
      queue_waiting: 7,
      kv_cache_usage: expect.any(Number),
    });
    expect(byName('dead')[0]).toMatchObject({ queue_waiting: null, kv_cache_usage: null });
    // A deployment that failed once and serves again is healthy; its last fault is still told.
    expect(byName('gemma')[0]).toMatchObject({ state: 'healthy', last_error: 'Backend for model=gemma failed (500): mock internal error' });
    expect(byName('dead')[0]).toMatchObject({ state: 'unreachable', last_error: expect.stringContaining('ECONNREFUSED') });
    const cooled = byName('duo').filter((d) => d.state === 'cooling_down');
    expect(cooled).toHaveLength(1);
    expect(cooled[0].last_error).toContain('Backend for model=duo is overloaded');
    const until = Date.parse(cooled[0].cooldown_until as string) - Date.now();
    expect(until).toBeGreaterThan((COOLDOWN_S - 5) * 1000);
    expect(until).toBeLessThanOrEqual(COOLDOWN_S * 1000);
  });

  it('documents the new routes in /openapi.json with typed answers', async () => {
    const doc = await json<{
      paths: Record<string, { get: { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> } }>;
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[]; type?: string }> }> };
    }>('/openapi.json');
    const ref = (path: string) => doc.paths[path].get.responses['200'].content?.['application/json'].schema.$ref;
    expect(ref('/health/deployments')).toBe('#/components/schemas/DeploymentsHealthDto');
    expect(ref('/spend/usage')).toBe('#/components/schemas/UsageResponseDto');
    expect(ref('/spend/usage/latency')).toBe('#/components/schemas/LatencyResponseDto');
    expect(ref('/ui/config')).toBe('#/components/schemas/UiConfigDto');
    expect(doc.components.schemas.DeploymentHealthDto.properties.state.enum).toEqual(['healthy', 'cooling_down', 'unreachable']);
    expect(doc.components.schemas.UsagePointDto.properties.spend.type).toBe('number');
  });

  it('/ui/config tells the UI whether models can be stored', async () => {
    expect(await json('/ui/config')).toMatchObject({ store_model_in_db: false });
  });

  it('names a deleted key by its alias and masked key from its last spend row', async () => {
    const res = await app.fetch('/key/delete', { method: 'POST', json: { keys: [keyB.token] } });
    expect(res.status).toBe(200);
    const usage = await json<{ by_key: Array<Record<string, unknown>> }>('/spend/usage');
    const b = usage.by_key.find((k) => k.api_key === keyB.token);
    expect(b).toMatchObject({ deleted: true, key_alias: 'usage-b-Search', key_name: `sk-...${keyB.key.slice(-4)}`, requests: 2 });
    expect(usage.by_key.find((k) => k.api_key === keyA.token)).toMatchObject({ deleted: false, key_alias: 'usage-a' });
  });
});
