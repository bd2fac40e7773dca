import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { SALT_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { closedPort, waitFor } from './helpers/sdk.js';

const UPSTREAM_SECRET = 'upstream-secret-key-Zq81';

/** LiteLLM's at-rest format, written with WebCrypto: an implementation independent of the app's. */
async function referenceEncrypt(plain: string, saltKey: string): Promise<string> {
  const subtle = webcrypto.subtle;
  const ikm = await subtle.importKey('raw', new TextEncoder().encode(saltKey), 'HKDF', false, ['deriveKey']);
  const key = await subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode('litellm-at-rest-v3') },
    ikm,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt'],
  );
  const nonce = webcrypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, new TextEncoder().encode(plain)));
  // Python's base64.urlsafe_b64encode: padded.
  return 'v3:gcm:' + Buffer.concat([nonce, sealed]).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

const chat = (app: TestProxy, model: string) =>
  app.client().chat.completions.create({ model, messages: [{ role: 'user', content: 'one two three' }], max_tokens: 4 });

describe('live model management (STORE_MODEL_IN_DB)', () => {
  let db: TestDatabase;
  let mock: MockVllm;
  let a: TestProxy;
  let b: TestProxy;
  const env = { STORE_MODEL_IN_DB: 'True' };

  beforeAll(async () => {
    db = await createTestDatabase();
    mock = await startMockVllm({ model: 'google/gemma-4-31b', apiKey: UPSTREAM_SECRET });
    const config = {
      databaseUrl: db.url,
      env,
      models: [{ model_name: 'from-config', litellm_params: { model: 'openai/google/gemma-4-31b', api_base: mock.url, api_key: UPSTREAM_SECRET } }],
    };
    [a, b] = await Promise.all([startTestProxy(config), startTestProxy(config)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await mock?.close();
    await db?.drop();
  });

  it('adds a model that serves at once here and within a second on the other instance, encrypted at rest', async () => {
    const res = await a.fetch('/model/new', {
      method: 'POST',
      json: {
        model_name: 'live-a',
        litellm_params: { model: 'openai/google/gemma-4-31b', api_base: mock.url, api_key: UPSTREAM_SECRET },
        model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
      },
    });
    expect(res.status).toBe(200);
    const created = (await res.json()) as { model_info: { id: string; db_model: boolean }; litellm_params: { api_key: string } };
    expect(created.model_info.db_model).toBe(true);
    expect(created.litellm_params.api_key).toBe('********');

    const answer = await chat(a, 'live-a');
    expect(answer.choices[0].message.content).toBe('tok tok tok tok ');
    // The deployment's own key went upstream (the mock requires it), never the client's.
    expect(mock.requests.at(-1)?.headers.authorization).toBe(`Bearer ${UPSTREAM_SECRET}`);

    const started = Date.now();
    await waitFor(async () => (await b.fetch('/v1/models')).text().then((t) => t.includes('live-a')), 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await chat(b, 'live-a')).usage?.completion_tokens).toBe(4);

    const rows = await db.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM "LiteLLM_ProxyModelTable" t`);
    expect(rows).toHaveLength(1);
    expect(rows[0].row).not.toContain(UPSTREAM_SECRET);
    expect(rows[0].row).toContain('v3:gcm:');
  });

  it('lists config and database deployments with the source marked and secrets masked', async () => {
    const info = (await (await a.fetch('/model/info')).json()) as {
      data: Array<{ model_name: string; model_info: { db_model: boolean }; litellm_params: Record<string, unknown> }>;
    };
    const byName = Object.fromEntries(info.data.map((d) => [d.model_name, d]));
    expect(byName['from-config'].model_info.db_model).toBe(false);
    expect(byName['live-a'].model_info.db_model).toBe(true);
    expect(JSON.stringify(info)).not.toContain(UPSTREAM_SECRET);
    const groups = (await (await a.fetch('/model_group/info')).json()) as { data: Array<{ model_group: string }> };
    expect(groups.data.map((g) => g.model_group).sort()).toEqual(['from-config', 'live-a']);
  });

  it('changes prices live, and the cost booked changes with them', async () => {
    const info = (await (await a.fetch('/model/info')).json()) as { data: Array<{ model_name: string; model_info: { id: string } }> };
    const id = info.data.find((d) => d.model_name === 'live-a')!.model_info.id;
    const upd = await a.fetch('/model/update', {
      method: 'POST',
      json: { model_id: id, model_info: { input_cost_per_token: 0.01, output_cost_per_token: 0.02 } },
    });
    expect(upd.status).toBe(200);
    await waitFor(async () => {
      const i = (await (await b.fetch(`/model/info?litellm_model_id=${id}`)).json()) as { data: Array<{ model_info: { input_cost_per_token: number } }> };
      return i.data[0]?.model_info.input_cost_per_token === 0.01;
    }, 1000);
    const answer = await chat(b, 'live-a');
    await waitFor(async () => (await db.query(`SELECT 1 FROM "LiteLLM_SpendLogs" WHERE request_id = $1`, [answer.id])).length === 1, 3000);
    const [row] = await db.query<{ spend: number }>(`SELECT spend FROM "LiteLLM_SpendLogs" WHERE request_id = $1`, [answer.id]);
    // 3 prompt tokens × 0.01 + 4 completion tokens × 0.02
    expect(row.spend).toBeCloseTo(0.11, 9);
  });

  it('refuses bad models with a message naming the field, and config models cannot be changed', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ model_name: 'x', litellm_params: { model: 'google/x', api_base: mock.url } }, 'litellm_params.model'],
      [{ model_name: 'x', litellm_params: { model: 'openai/x', api_base: 'ftp://nope' } }, 'litellm_params.api_base'],
      [
        { model_name: 'x', litellm_params: { model: 'openai/x', api_base: mock.url }, model_info: { input_cost_per_token: -1 } },
        'model_info.input_cost_per_token',
      ],
      [{ litellm_params: { model: 'openai/x', api_base: mock.url } }, 'model_name'],
    ];
    for (const [json, field] of cases) {
      const res = await a.fetch('/model/new', { method: 'POST', json });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain(field);
    }
    const info = (await (await a.fetch('/model/info')).json()) as { data: Array<{ model_name: string; model_info: { id: string } }> };
    const configId = info.data.find((d) => d.model_name === 'from-config')!.model_info.id;
    const del = await a.fetch('/model/delete', { method: 'POST', json: { id: configId } });
    expect(del.status).toBe(400);
    expect(((await del.json()) as { error: { message: string } }).error.message).toContain('config file');
    expect((await a.fetch('/model/delete', { method: 'POST', json: { id: 'no-such-model' } })).status).toBe(404);
  });

  it('a deployment fixed with /model/update serves at once, without waiting out its cooldown', async () => {
    // Two dead deployments (the only deployment of an alias never cools down).
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const dead = `http://127.0.0.1:${await closedPort()}/v1`;
      const res = await a.fetch('/model/new', {
        method: 'POST',
        json: { model_name: 'flaky', litellm_params: { model: 'openai/google/gemma-4-31b', api_base: dead, api_key: UPSTREAM_SECRET } },
      });
      ids.push(((await res.json()) as { model_info: { id: string } }).model_info.id);
    }
    // Every try fails: within a few requests both have failed > 50% of ≥ 5 tries and cool down.
    let status = 0;
    for (let i = 0; i < 10 && status !== 503; i++)
      status = (await a.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'flaky', messages: [] } })).status;
    expect(status).toBe(503);
    expect((await a.fetch('/model/update', { method: 'POST', json: { model_id: ids[0], litellm_params: { api_base: mock.url } } })).status).toBe(200);
    expect((await chat(a, 'flaky')).choices).toHaveLength(1);
    for (const id of ids) expect((await a.fetch('/model/delete', { method: 'POST', json: { id } })).status).toBe(200);
  });

  it('reads a row written in LiteLLM format by the reference algorithm', async () => {
    const params = {
      model: await referenceEncrypt('openai/google/gemma-4-31b', SALT_KEY),
      api_base: await referenceEncrypt(mock.url, SALT_KEY),
      api_key: await referenceEncrypt(UPSTREAM_SECRET, SALT_KEY),
    };
    await db.query(
      `INSERT INTO "LiteLLM_ProxyModelTable" (model_id, model_name, litellm_params, model_info) VALUES ('from-litellm', 'litellm-made', $1, '{"id":"from-litellm"}')`,
      [JSON.stringify(params)],
    );
    await db.query(`SELECT pg_notify('proxy_model_change', 'from-litellm')`);
    await waitFor(async () => (await a.fetch('/v1/models')).text().then((t) => t.includes('litellm-made')), 1000);
    expect((await chat(a, 'litellm-made')).choices[0].message.content).toBe('tok tok tok tok ');
  });

  it('deletes a model on every instance, and it survives restarts until then', async () => {
    await b.close();
    b = await startTestProxy({ databaseUrl: db.url, env, models: [] });
    expect((await chat(b, 'live-a')).choices).toHaveLength(1);
    const info = (await (await a.fetch('/model/info')).json()) as { data: Array<{ model_name: string; model_info: { id: string } }> };
    const id = info.data.find((d) => d.model_name === 'live-a')!.model_info.id;
    expect((await a.fetch('/model/delete', { method: 'POST', json: { id } })).status).toBe(200);
    await waitFor(async () => !(await (await b.fetch('/v1/models')).text()).includes('live-a'), 1000);
    const res = await b.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'live-a', messages: [] } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('model=live-a');
  });

  it('refuses to boot with a salt key that cannot decrypt stored models, naming LITELLM_SALT_KEY', async () => {
    await expect(startTestProxy({ databaseUrl: db.url, env: { ...env, LITELLM_SALT_KEY: 'sk-salt-wrong' } })).rejects.toThrow(/LITELLM_SALT_KEY/);
  });

  it('answers 400 with how to turn it on when STORE_MODEL_IN_DB is off', async () => {
    const off = await startTestProxy({ databaseUrl: db.url });
    try {
      const res = await off.fetch('/model/new', { method: 'POST', json: { model_name: 'x', litellm_params: { model: 'openai/x', api_base: mock.url } } });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('STORE_MODEL_IN_DB');
    } finally {
      await off.close();
    }
  });

  it('re-reads the config file on POST /config/reload, refusing a bad file while the old config serves', async () => {
    const configPath = `${a.dir}/config.yaml`;
    writeFileSync(
      configPath,
      JSON.stringify({
        model_list: [{ model_name: 'reloaded', litellm_params: { model: 'openai/google/gemma-4-31b', api_base: mock.url, api_key: UPSTREAM_SECRET } }],
      }),
    );
    const ok = await a.fetch('/config/reload', { method: 'POST' });
    expect(ok.status).toBe(200);
    expect((await chat(a, 'reloaded')).choices).toHaveLength(1);
    const gone = await a.fetch('/v1/chat/completions', { method: 'POST', json: { model: 'from-config', messages: [] } });
    expect(gone.status).toBe(400);

    writeFileSync(configPath, JSON.stringify({ model_list: [{ model_name: 'broken', litellm_params: { model: 'openai/x', api_base: 'not a url' } }] }));
    const bad = await a.fetch('/config/reload', { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('model_list[0].litellm_params.api_base');
    expect((await chat(a, 'reloaded')).choices).toHaveLength(1);
  });
});
