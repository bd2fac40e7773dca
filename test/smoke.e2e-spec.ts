import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { killStrayProxies, proxyEnv, type BuiltEntry, type ProxyProcess, snapshotBuild, spawnProxy, tempDir, type TempDir } from './helpers/process.js';
import { MASTER_KEY } from './helpers/proxy.js';
import { uniqueTag, waitFor } from './helpers/sdk.js';
import { expectMoney, type SpendRow } from './helpers/spend.js';

// The short end-to-end check CI also runs on the other supported Node versions (.ci/run): the built entry
// (`node dist/src/main.js`, on this test's Node) serving a virtual key through the SDK and booking spend.

const MODEL = 'google/gemma-4-31b';
const PRICE_IN = 0.000001;
const PRICE_OUT = 0.000002;

describe(`smoke: the built proxy on Node ${process.version}`, { timeout: 90_000 }, () => {
  let db: TestDatabase;
  let entry: BuiltEntry;
  let mock: MockVllm;
  let dir: TempDir;
  let proc: ProxyProcess;
  let url: string;

  beforeAll(async () => {
    [db, entry, mock] = await Promise.all([createTestDatabase(), snapshotBuild(), startMockVllm({ model: MODEL })]);
    dir = tempDir('mp-smoke-');
    const model = { model: `openai/${MODEL}`, api_base: mock.url };
    dir.file(
      'config.yaml',
      JSON.stringify({
        model_list: [{ model_name: 'gemma', litellm_params: model, model_info: { input_cost_per_token: PRICE_IN, output_cost_per_token: PRICE_OUT } }],
      }),
    );
    proc = spawnProxy(entry, proxyEnv(dir.path, db.url, { SPEND_FLUSH_MS: '50' }), dir.path);
    url = await proc.listening();
  });
  afterAll(async () => {
    killStrayProxies();
    await mock?.close();
    dir?.remove();
    entry?.remove();
    await db?.drop();
  });

  it('serves a virtual key through the SDK, streaming and not, books the spend, and stops on SIGTERM', async () => {
    const generated = await fetch(`${url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['gemma'] }),
    });
    expect(generated.status, await generated.clone().text()).toBe(200);
    const { key } = (await generated.json()) as { key: string };
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 });
    const user = uniqueTag('smoke');

    const answer = await client.chat.completions.create({ model: 'gemma', messages: [{ role: 'user', content: 'one two three' }], max_tokens: 4, user });
    expect(answer.object).toBe('chat.completion');
    expect(answer.choices[0].message.content).toBeTruthy();
    expect(answer.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: 4 });

    const stream = await client.chat.completions.create({
      model: 'gemma',
      messages: [{ role: 'user', content: 'one two' }],
      max_tokens: 3,
      stream: true,
      user,
    });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      // The proxy asks the backend for usage; a client that did not ask never sees the usage-only chunk.
      expect(chunk.choices).toHaveLength(1);
      text += chunk.choices[0].delta.content ?? '';
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    expect(text).not.toBe('');
    expect(finish).toBe('length');

    const rowsOf = () => db.query<SpendRow>('SELECT * FROM "LiteLLM_SpendLogs" WHERE "user" = $1 ORDER BY "startTime"', [user]);
    await waitFor(async () => (await rowsOf()).length === 2, 5000);
    const rows = await rowsOf();
    expect(rows.map((r) => [r.status, r.completion_tokens])).toEqual([
      ['success', 4],
      ['success', 3],
    ]);
    for (const r of rows) expectMoney(r.spend, r.prompt_tokens * PRICE_IN + r.completion_tokens * PRICE_OUT);

    proc.child.kill('SIGTERM');
    expect(await proc.exited()).toEqual({ code: 0, signal: null });
  });
});
