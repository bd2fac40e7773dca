import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestModel, type TestProxy } from './helpers/proxy.js';
import { apiErrorOf, closedPort, tagged, uniqueTag, waitFor, withFields } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey, words, type SpendRow } from './helpers/spend.js';

// LiteLLM config settings a self-hosted fleet uses, in one config file (issue 14, item 3): fallbacks,
// context_window_fallbacks (vLLM's 400 over --max-model-len), default_fallbacks, model_group_alias,
// deployment weight and order, prices in litellm_params, per-key aliases, model access groups, and the
// one warning line naming what this project does not implement.

const MODEL = 'google/gemma-4-31b';
const QWEN_PRICES = { input: 0.000001, output: 0.000002 };

const chat = (model: string, tag: string, content = 'hello') =>
  withFields({ model, messages: [{ role: 'user' as const, content }], max_tokens: 2 }, { test_tag: tag });
const dep = (alias: string, apiBase: string, params: Record<string, unknown> = {}, info?: Record<string, unknown>): TestModel => ({
  model_name: alias,
  litellm_params: { model: `openai/${MODEL}`, api_base: apiBase, ...params },
  ...(info ? { model_info: info } : {}),
});

describe('config parity with LiteLLM: fallbacks, aliases, weight/order, litellm_params prices, key aliases, access groups', () => {
  let db: TestDatabase;
  let app: TestProxy;
  let client: OpenAI;
  const logs: string[] = [];
  const names = ['gemma', 'qwen', 'small', 'big', 'w1', 'w2', 'o1', 'o2', 'beta'] as const;
  const mocks = {} as Record<(typeof names)[number], MockVllm>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all(names.map(async (n) => (mocks[n] = await startMockVllm({ model: MODEL, maxModelLen: n === 'small' ? 50 : undefined }))));
    const down = `http://127.0.0.1:${await closedPort()}/v1`;
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logs.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    app = await startTestProxy({
      databaseUrl: db.url,
      logger: pino({ level: 'info' }, sink),
      models: [
        dep('gemma', mocks.gemma.url),
        dep('qwen', mocks.qwen.url, { input_cost_per_token: QWEN_PRICES.input, output_cost_per_token: QWEN_PRICES.output, vertex_project: 'unused' }),
        dep('small', mocks.small.url),
        dep('big', mocks.big.url),
        dep('lonely', down),
        dep('weighted', mocks.w1.url, { weight: 3 }),
        dep('weighted', mocks.w2.url, { weight: 1 }),
        dep('ordered', mocks.o1.url, { order: 1 }),
        dep('ordered', mocks.o2.url, { order: 2 }),
        dep('beta-model', mocks.beta.url, {}, { access_groups: ['beta'] }),
      ],
      settings: {
        litellm_settings: { num_retries: 1, fallbacks: [{ gemma: ['qwen'] }], default_fallbacks: ['qwen'], success_callback: ['langfuse'] },
        router_settings: {
          routing_strategy: 'cost-based-routing',
          cooldown_time: 0,
          context_window_fallbacks: [{ small: ['big'] }],
          model_group_alias: { 'gpt-4': 'qwen', 'secret-gpt': { model: 'qwen', hidden: true } },
        },
        general_settings: { alerting: ['slack'] },
      },
    });
    client = app.client();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all(Object.values(mocks).map((m) => m.close()));
    await db?.drop();
  });

  const spendRow = async (requestId: string): Promise<SpendRow> => {
    let rows: SpendRow[] = [];
    await waitFor(async () => (rows = await db.query<SpendRow>(`SELECT * FROM "LiteLLM_SpendLogs" WHERE request_id = $1`, [requestId])).length > 0, 5000);
    return rows[0];
  };

  it('boots with one warning line naming every setting it does not implement', () => {
    const warnings = logs.filter((l) => /not implemented/.test(l));
    expect(warnings).toHaveLength(1);
    for (const path of [
      'litellm_settings.success_callback',
      'general_settings.alerting',
      'router_settings.routing_strategy',
      'model_list[1].litellm_params.vertex_project',
    ]) {
      expect(warnings[0]).toContain(path);
    }
  });

  it('fallbacks: the primary alias failing (5xx), the fallback alias serves; the spend row names the fallback group, as LiteLLM books it', async () => {
    mocks.gemma.setFault('500');
    try {
      const tag = uniqueTag('fallback');
      const res = await client.chat.completions.create(chat('gemma', tag));
      expect(res.choices[0].message.content).toBeTruthy();
      expect(tagged(mocks.gemma, tag)).toHaveLength(2); // num_retries: 1 on its only deployment
      expect(tagged(mocks.qwen, tag)).toHaveLength(1);
      const row = await spendRow(res.id);
      expect(row.model_group).toBe('qwen');
      expectMoney(row.spend, costOf(QWEN_PRICES, res.usage!.prompt_tokens, res.usage!.completion_tokens));
    } finally {
      mocks.gemma.setFault(null);
    }
  });

  it('fallbacks ignore the key model list by default, as LiteLLM does (enforce_fallback_model_access is off)', async () => {
    const key = await generateKey(app, { models: ['gemma'] });
    mocks.gemma.setFault('500');
    try {
      const tag = uniqueTag('fallback-key');
      await client.chat.completions.create(chat('gemma', tag), { headers: { authorization: `Bearer ${key.key}` } });
      expect(tagged(mocks.qwen, tag)).toHaveLength(1);
    } finally {
      mocks.gemma.setFault(null);
    }
  });

  it('a 400 the request caused does not fall back', async () => {
    const tag = uniqueTag('no-fallback');
    const err = await apiErrorOf(client.chat.completions.create(withFields(chat('gemma', tag), { mock: { fault: '400' } })));
    expect(err.status).toBe(400);
    expect(tagged(mocks.qwen, tag)).toHaveLength(0);
  });

  it("context_window_fallbacks: vLLM's 400 for a prompt over --max-model-len goes to the larger model, without retrying the small one", async () => {
    const tag = uniqueTag('ctx');
    const res = await client.chat.completions.create(chat('small', tag, words(80)));
    expect(res.choices[0].message.content).toBeTruthy();
    expect(tagged(mocks.small, tag)).toHaveLength(1);
    expect(tagged(mocks.big, tag)).toHaveLength(1);
    const fits = uniqueTag('ctx-fits');
    await client.chat.completions.create(chat('small', fits, words(10)));
    expect(tagged(mocks.small, fits)).toHaveLength(1);
    expect(tagged(mocks.big, fits)).toHaveLength(0);
  });

  it('default_fallbacks: an alias with no fallback of its own, its backend down, is served by the default', async () => {
    const tag = uniqueTag('default');
    const res = await client.chat.completions.create(chat('lonely', tag));
    expect(res.choices[0].message.content).toBeTruthy();
    expect(tagged(mocks.qwen, tag)).toHaveLength(1);
  });

  it('model_group_alias: both forms route to the target; the hidden one is not listed', async () => {
    for (const alias of ['gpt-4', 'secret-gpt']) {
      const tag = uniqueTag(alias);
      await client.chat.completions.create(chat(alias, tag));
      expect(tagged(mocks.qwen, tag)).toHaveLength(1);
    }
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toContain('gpt-4');
    expect(ids).not.toContain('secret-gpt');
    // A key allowed the target may call its alias (LiteLLM checks the alias and what it maps to).
    const key = await generateKey(app, { models: ['qwen'] });
    const tag = uniqueTag('alias-key');
    await client.chat.completions.create(chat('gpt-4', tag), { headers: { authorization: `Bearer ${key.key}` } });
    expect(tagged(mocks.qwen, tag)).toHaveLength(1);
  });

  it('weight: simple-shuffle picks deployments in proportion to litellm_params.weight', async () => {
    const tag = uniqueTag('weight');
    for (let i = 0; i < 60; i++) await client.chat.completions.create(chat('weighted', tag));
    const heavy = tagged(mocks.w1, tag).length;
    expect(heavy + tagged(mocks.w2, tag).length).toBe(60);
    // Expected 45 of 60 (3:1); 33..57 is far outside chance either way.
    expect(heavy).toBeGreaterThanOrEqual(33);
    expect(heavy).toBeLessThanOrEqual(57);
  });

  it('order: the lowest order serves every request; a higher order only when the lower one fails', async () => {
    const tag = uniqueTag('order');
    for (let i = 0; i < 10; i++) await client.chat.completions.create(chat('ordered', tag));
    expect(tagged(mocks.o1, tag)).toHaveLength(10);
    expect(tagged(mocks.o2, tag)).toHaveLength(0);
    mocks.o1.setFault('500', 1);
    const failing = uniqueTag('order-fail');
    await client.chat.completions.create(chat('ordered', failing));
    expect(tagged(mocks.o2, failing)).toHaveLength(1);
  });

  it('prices in litellm_params book the right spend in LiteLLM_SpendLogs', async () => {
    const key = await generateKey(app, {});
    const res = await client.chat.completions.create(chat('qwen', uniqueTag('price'), words(7)), { headers: { authorization: `Bearer ${key.key}` } });
    const row = await spendRow(res.id);
    expect(row.spend).toBeGreaterThan(0);
    expectMoney(row.spend, costOf(QWEN_PRICES, res.usage!.prompt_tokens, res.usage!.completion_tokens));
    expect(row.api_key).toBe(key.token);
  });

  it('per-key aliases are applied before the scope check', async () => {
    const key = await generateKey(app, { models: ['qwen'], aliases: { 'my-model': 'qwen' } });
    const tag = uniqueTag('key-alias');
    const res = await client.chat.completions.create(chat('my-model', tag), { headers: { authorization: `Bearer ${key.key}` } });
    expect(tagged(mocks.qwen, tag)).toHaveLength(1);
    expect((await spendRow(res.id)).model_group).toBe('qwen');
    // Another key does not know the alias.
    const other = await generateKey(app, {});
    const err = await apiErrorOf(client.chat.completions.create(chat('my-model', tag), { headers: { authorization: `Bearer ${other.key}` } }));
    expect(err.status).toBe(400);
  });

  it("access groups: a key whose models name a group may use the group's models, and only those", async () => {
    const key = await generateKey(app, { models: ['beta'] });
    const tag = uniqueTag('group');
    const auth = { headers: { authorization: `Bearer ${key.key}` } };
    await client.chat.completions.create(chat('beta-model', tag), auth);
    expect(tagged(mocks.beta, tag)).toHaveLength(1);
    const err = await apiErrorOf(client.chat.completions.create(chat('qwen', tag), auth));
    expect(err.status).toBe(401);
    const listed = (await app.client(key.key).models.list()).data.map((m) => m.id);
    expect(listed).toEqual(['beta-model']);
  });

  it('a config reload picks the settings up (POST /config/reload)', async () => {
    const models = [dep('qwen', mocks.qwen.url), dep('gemma', mocks.gemma.url)];
    const settings = { router_settings: { model_group_alias: { 'gpt-5': 'qwen' }, fallbacks: [{ gemma: ['qwen'] }] } };
    writeFileSync(join(app.dir, 'config.yaml'), JSON.stringify({ model_list: models, ...settings }));
    const res = await app.fetch('/config/reload', { method: 'POST' });
    expect(res.status).toBe(200);
    const tag = uniqueTag('reload');
    await client.chat.completions.create(chat('gpt-5', tag));
    expect(tagged(mocks.qwen, tag)).toHaveLength(1);
    const err = await apiErrorOf(client.chat.completions.create(chat('gpt-4', tag)));
    expect(err.status).toBe(400);
    mocks.gemma.setFault('500');
    try {
      const fb = uniqueTag('reload-fallback');
      await client.chat.completions.create(chat('gemma', fb));
      expect(tagged(mocks.qwen, fb)).toHaveLength(1);
    } finally {
      mocks.gemma.setFault(null);
    }
  });
});

describe('general_settings.enforce_fallback_model_access: true', () => {
  let db: TestDatabase;
  let app: TestProxy;
  let primary: MockVllm;
  let backup: MockVllm;

  beforeAll(async () => {
    db = await createTestDatabase();
    [primary, backup] = await Promise.all([startMockVllm({ model: MODEL }), startMockVllm({ model: MODEL })]);
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [dep('gemma', primary.url), dep('qwen', backup.url)],
      settings: {
        litellm_settings: { num_retries: 0 },
        router_settings: { fallbacks: [{ gemma: ['qwen'] }] },
        general_settings: { enforce_fallback_model_access: true },
      },
    });
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([primary?.close(), backup?.close()]);
    await db?.drop();
  });

  it('skips a fallback the key may not use: the primary error is the answer; an allowed key is served by it', async () => {
    primary.setFault('500');
    const restricted = await generateKey(app, { models: ['gemma'] });
    const tag = uniqueTag('enforced');
    const err = await apiErrorOf(app.client(restricted.key).chat.completions.create(chat('gemma', tag)));
    expect(err.status).toBe(502);
    expect(err.message).toContain('Backend for model=gemma failed (500)');
    expect(tagged(backup, tag)).toHaveLength(0);
    const both = await generateKey(app, { models: ['gemma', 'qwen'] });
    await app.client(both.key).chat.completions.create(chat('gemma', tag));
    expect(tagged(backup, tag)).toHaveLength(1);
  });
});
