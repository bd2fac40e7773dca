import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { waitFor } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey } from './helpers/spend.js';

const PRICES = { input: 0.001, output: 0.002 };

describe('general_settings.disable_spend_logs', () => {
  let db: TestDatabase;
  let mock: MockVllm;
  let app: TestProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    mock = await startMockVllm({ model: 'google/gemma-4-31b' });
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [
        {
          model_name: 'gemma',
          litellm_params: { model: 'openai/google/gemma-4-31b', api_base: mock.url },
          model_info: { input_cost_per_token: PRICES.input, output_cost_per_token: PRICES.output },
        },
      ],
      settings: { general_settings: { disable_spend_logs: true } },
    });
  });
  afterAll(async () => {
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  it('books the key spend exactly but writes no per-request rows', async () => {
    const key = await generateKey(app, { max_budget: 1 });
    const sdk = app.client(key.key);
    for (let i = 0; i < 5; i++) await sdk.chat.completions.create({ model: 'gemma', messages: [{ role: 'user', content: 'a b' }], max_tokens: 3 });
    const expected = 5 * costOf(PRICES, 2, 3);
    await waitFor(async () => {
      const [row] = await db.query<{ spend: number }>(`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1`, [key.token_id]);
      return Math.abs(row.spend - expected) < 1e-9;
    }, 3000);
    expectMoney((await db.query<{ spend: number }>(`SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1`, [key.token_id]))[0].spend, expected);
    expect(await db.query(`SELECT 1 FROM "LiteLLM_SpendLogs"`)).toHaveLength(0);
    // The hourly rollup (the UI's Spend page) and last_active are kept without log rows too.
    const [hourly] = await db.query<{ requests: number; spend: number }>(
      `SELECT sum(requests)::int AS requests, sum(spend)::float8 AS spend FROM "model_proxy_hourly_spend" WHERE api_key = $1`,
      [key.token_id],
    );
    expect(hourly.requests).toBe(5);
    expectMoney(hourly.spend, expected);
    const [k] = await db.query<{ last_active: Date | null }>(`SELECT last_active FROM "LiteLLM_VerificationToken" WHERE token = $1`, [key.token_id]);
    expect(k.last_active).not.toBeNull();
  });
});
