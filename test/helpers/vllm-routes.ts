import { expect } from 'vitest';
import { startMockVllm, type MockVllm } from '../mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startTestProxy, type TestProxy } from './proxy.js';
import { waitFor } from './sdk.js';
import { sleep, type Prices, type SpendRow } from './spend.js';

/** The proxy in front of one keyed mock vLLM (alias `alias`) and of a second model `other` a key may be scoped to. */
export interface VllmRoutesEnv {
  db: TestDatabase;
  /** Serves `upstreamModel`, with `--api-key deployKey`. */
  vllm: MockVllm;
  other: MockVllm;
  app: TestProxy;
  /** Polls until the spend writer has booked `n` rows for the key (its hash), then checks no more come. */
  bookedRows(token: string, n: number): Promise<SpendRow[]>;
  close(): Promise<void>;
}

export interface VllmRoutesOptions {
  upstreamModel: string;
  alias: string;
  deployKey: string;
  prices: Prices;
  /** More aliases of the same deployment, each with its own model_info (e.g. other prices). */
  moreAliases?: { alias: string; modelInfo: Record<string, unknown> }[];
}

export async function startVllmRoutesEnv(opts: VllmRoutesOptions): Promise<VllmRoutesEnv> {
  const db = await createTestDatabase();
  const [vllm, other] = await Promise.all([startMockVllm({ model: opts.upstreamModel, apiKey: opts.deployKey }), startMockVllm({ model: 'other/model' })]);
  // hosted_vllm/ is stripped once: "hosted_vllm/openai/x" is served as "openai/x".
  const litellm_params = { model: `hosted_vllm/${opts.upstreamModel}`, api_base: vllm.url, api_key: opts.deployKey };
  const app = await startTestProxy({
    databaseUrl: db.url,
    models: [
      { model_name: opts.alias, litellm_params, model_info: { input_cost_per_token: opts.prices.input, output_cost_per_token: opts.prices.output } },
      ...(opts.moreAliases ?? []).map((a) => ({ model_name: a.alias, litellm_params, model_info: a.modelInfo })),
      { model_name: 'other', litellm_params: { model: 'openai/other/model', api_base: other.url } },
    ],
    settings: { litellm_settings: { num_retries: 0 } },
  });
  const rowsOf = (token: string) => db.query<SpendRow>('SELECT * FROM "LiteLLM_SpendLogs" WHERE api_key = $1 ORDER BY "startTime"', [token]);
  return {
    db,
    vllm,
    other,
    app,
    async bookedRows(token, n) {
      await waitFor(async () => (await rowsOf(token)).length >= n, 5000);
      await sleep(150);
      const rows = await rowsOf(token);
      expect(rows).toHaveLength(n);
      return rows;
    },
    async close() {
      await app.close();
      await Promise.all([vllm.close(), other.close()]);
      await db.drop();
    },
  };
}
