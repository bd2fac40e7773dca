import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbEventsService } from '../src/database/db-events.service.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestModel, type TestProxy } from './helpers/proxy.js';
import { rejectionOf, uniqueTag, waitFor, withMock } from './helpers/sdk.js';
import { expectMoney, generateKey, sleep } from './helpers/spend.js';
import { startTcpProxy } from './helpers/tcp-proxy.js';

// Issue 11 items 5–7 and issue 12's cache items: budgets that hold under bursts, across instances,
// for users and teams; a key cache that expires; a LISTEN connection that comes back.

const GEMMA = 'google/gemma-4-31b';
/** Output only: a request's worst case (max_tokens × price) is exactly its cost, so the figures are exact. */
const OUT = 0.001;
const MAX_TOKENS = 5;
const C = MAX_TOKENS * OUT;
/** Prompt and output priced: the reservation includes the prompt estimated from the body's bytes. */
const MIXED = { input: 0.00001, output: 0.0001 };

const BUDGET = String(3 * C).replace('.', '\\.');
const user = (content: string) => [{ role: 'user' as const, content }];

describe('budgets: reservations, instances, users and teams, cache expiry', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let a: TestProxy;
  let b: TestProxy;
  /** Its key cache expires after 300 ms. */
  let shortTtl: TestProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    gemma = await startMockVllm({ model: GEMMA });
    const models: TestModel[] = [
      {
        model_name: 'priced',
        litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
        model_info: { input_cost_per_token: 0, output_cost_per_token: OUT },
      },
      {
        model_name: 'mixed',
        litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
        model_info: { input_cost_per_token: MIXED.input, output_cost_per_token: MIXED.output },
      },
      // Two deployments: the reservation takes the dearer one (the router picks later).
      {
        model_name: 'capped',
        litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
        model_info: { id: 'capped-dear', input_cost_per_token: MIXED.input, output_cost_per_token: MIXED.output, max_output_tokens: 50 },
      },
      {
        model_name: 'capped',
        litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
        model_info: { id: 'capped-cheap', input_cost_per_token: MIXED.input / 2, output_cost_per_token: MIXED.output / 2, max_output_tokens: 50 },
      },
    ];
    // Frequent heartbeats: the LISTEN connections' last query is soon `SELECT 1`, as in a long-running proxy.
    const env = { BUDGET_DEFAULT_MAX_OUTPUT_TOKENS: '300', LISTEN_HEARTBEAT_MS: '300' };
    a = await startTestProxy({ databaseUrl: db.url, models, env });
    b = await startTestProxy({ databaseUrl: db.url, models, env });
    shortTtl = await startTestProxy({ databaseUrl: db.url, models, env: { ...env, KEY_CACHE_TTL_MS: '300' } });
  });
  afterAll(async () => {
    await shortTtl?.close();
    await b?.close();
    await a?.close();
    await gemma?.close();
    await db?.drop();
  });

  const ask = (sdk: OpenAI, tag: string, ttftMs = 0) =>
    sdk.chat.completions.create(withMock({ model: 'priced', messages: user('hi'), max_tokens: MAX_TOKENS, user: tag }, { ttft_ms: ttftMs }));

  /** Fires `n` requests at once; counts the served ones and checks every refusal is a budget refusal. */
  async function burst(sdk: OpenAI, tag: string, n: number, ttftMs = 300): Promise<{ served: number; messages: string[] }> {
    const results = await Promise.allSettled(Array.from({ length: n }, () => ask(sdk, tag, ttftMs)));
    const messages: string[] = [];
    for (const r of results) {
      if (r.status === 'fulfilled') continue;
      const err = r.reason as APIError;
      expect(err).toBeInstanceOf(APIError);
      expect(err.status).toBe(400);
      expect(err.type).toBe('budget_exceeded');
      messages.push((err.error as { message: string }).message);
    }
    return { served: results.filter((r) => r.status === 'fulfilled').length, messages };
  }

  /** Successful rows and their spend in the database for `tag`, once the count stops moving. */
  async function booked(tag: string, atLeast: number): Promise<{ rows: number; spend: number }> {
    const q = async () =>
      (
        await db.query<{ rows: number; spend: number | null }>(
          `SELECT count(*)::int AS rows, sum(spend) AS spend FROM "LiteLLM_SpendLogs" WHERE "user" = $1 AND status = 'success'`,
          [tag],
        )
      )[0];
    await waitFor(async () => (await q()).rows >= atLeast, 5000);
    await sleep(300);
    const r = await q();
    return { rows: r.rows, spend: r.spend ?? 0 };
  }

  async function keySpend(token: string): Promise<number> {
    return (await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_VerificationToken" WHERE token = $1', [token]))[0].spend;
  }

  async function expectRefused(p: Promise<unknown>, status: number, pattern: RegExp): Promise<void> {
    const err = (await rejectionOf(p)) as APIError;
    expect(err).toBeInstanceOf(APIError);
    expect(err.status).toBe(status);
    expect((err.error as { message: string }).message).toMatch(pattern);
  }

  it('20 parallel requests on a budget for 3: 3, perhaps 4, are served; rows and spend in the database agree', async () => {
    const tag = uniqueTag('burst');
    const k = await generateKey(a, { max_budget: 3 * C });
    const { served, messages } = await burst(a.client(k.key), tag, 20);
    expect(served).toBeGreaterThanOrEqual(3);
    expect(served).toBeLessThanOrEqual(4);
    expect(messages[0]).toMatch(new RegExp(`^Budget has been exceeded! Current cost: [\\d.e-]+, Max budget: ${BUDGET}$`));
    const { rows, spend } = await booked(tag, served);
    expect(rows).toBe(served);
    expectMoney(spend, served * C);
    await waitFor(async () => Math.abs((await keySpend(k.token_id)) - served * C) < 1e-9, 3000);
    // Settled: nothing stays reserved, and the next request is refused on booked spend alone.
    await expectRefused(ask(a.client(k.key), tag), 400, /Budget has been exceeded!/);
  });

  it('/key/info shows the reservation of a request in flight (prompt bytes/4 + max_tokens, dearest deployment), and 0 after', async () => {
    const k = await generateKey(a, { max_budget: 100 });
    const info = async () => ((await (await a.fetch(`/key/info?key=${k.key}`)).json()) as { info: { spend: number; reserved_spend: number } }).info;
    const cases = [
      // Explicit max_tokens.
      { body: { model: 'mixed', messages: user('one two three'), max_tokens: 7 }, output: 7, prices: MIXED },
      // No max_tokens: the deployment's max_output_tokens, on the dearer of the two deployments.
      { body: { model: 'capped', messages: user('one two three') }, output: 50, prices: MIXED },
      // Neither: BUDGET_DEFAULT_MAX_OUTPUT_TOKENS.
      { body: { model: 'mixed', messages: user('one two three') }, output: 300, prices: MIXED },
    ];
    for (const c of cases) {
      const text = JSON.stringify({ ...c.body, mock: { ttft_ms: 800 } });
      const pending = fetch(`${a.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
        body: text,
      });
      await waitFor(async () => (await info()).reserved_spend > 0, 2000);
      expectMoney((await info()).reserved_spend, Math.ceil(Buffer.byteLength(text) / 4) * c.prices.input + c.output * c.prices.output);
      const res = await pending;
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect((await info()).reserved_spend).toBe(0);
    }
    expect((await info()).spend).toBeGreaterThan(0);
  });

  it('a reservation is released when the request fails or the client goes away', async () => {
    const k = await generateKey(a, { max_budget: 100 });
    const reserved = async () => ((await (await a.fetch(`/key/info?key=${k.key}`)).json()) as { info: { reserved_spend: number } }).info.reserved_spend;
    await rejectionOf(a.client(k.key).chat.completions.create(withMock({ model: 'priced', messages: user('x'), max_tokens: 3 }, { fault: '400' })));
    expect(await reserved()).toBe(0);
    const ctl = new AbortController();
    const p = a
      .client(k.key)
      .chat.completions.create(withMock({ model: 'priced', messages: user('x'), max_tokens: 3 }, { ttft_ms: 2000 }), { signal: ctl.signal });
    await waitFor(async () => (await reserved()) > 0, 2000);
    ctl.abort();
    await rejectionOf(p);
    await waitFor(async () => (await reserved()) === 0, 2000);
  });

  it('a request that fails inside the proxy (nesting too deep to forward) leaves no reservation behind', async () => {
    const k = await generateKey(a, { max_budget: 100 });
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const text = `{"model":"priced","max_tokens":3,"messages":[{"role":"user","content":"x"}],"nested":${deep}}`;
    const res = await fetch(`${a.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
      body: text,
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    await res.arrayBuffer();
    const info = (await (await a.fetch(`/key/info?key=${k.key}`)).json()) as { info: { reserved_spend: number } };
    expect(info.info.reserved_spend).toBe(0);
  });

  it('two instances: spend booked on one is refused on the other within about a second', async () => {
    const tag = uniqueTag('two-seq');
    const k = await generateKey(a, { max_budget: 3 * C });
    // B has the key cached, with its spend then.
    await ask(b.client(k.key), tag);
    await waitFor(async () => (await keySpend(k.token_id)) > 0, 3000);
    await ask(a.client(k.key), tag);
    await ask(a.client(k.key), tag);
    await expectRefused(ask(a.client(k.key), tag), 400, /Budget has been exceeded!/);
    await waitFor(async () => Math.abs((await keySpend(k.token_id)) - 3 * C) < 1e-9, 3000);
    await sleep(1500);
    await expectRefused(ask(b.client(k.key), tag), 400, /Budget has been exceeded!/);
  });

  it('two instances: a burst of 10 at each on a budget for 3 serves at most 4 per instance (≤ 8), and both refuse after', async () => {
    const tag = uniqueTag('two-burst');
    const k = await generateKey(a, { max_budget: 3 * C });
    const [ra, rb] = await Promise.all([burst(a.client(k.key), tag, 10), burst(b.client(k.key), tag, 10)]);
    const served = ra.served + rb.served;
    expect(ra.served).toBeLessThanOrEqual(4);
    expect(rb.served).toBeLessThanOrEqual(4);
    const { rows, spend } = await booked(tag, served);
    expect(rows).toBe(served);
    expectMoney(spend, served * C);
    await sleep(1500);
    await expectRefused(ask(a.client(k.key), tag), 400, /Budget has been exceeded!/);
    await expectRefused(ask(b.client(k.key), tag), 400, /Budget has been exceeded!/);
  });

  it("a user's budget counts: a burst on its key serves at most 4, then LiteLLM's user message refuses", async () => {
    const tag = uniqueTag('user');
    const userId = uniqueTag('u');
    await db.query(`INSERT INTO "LiteLLM_UserTable" (user_id, max_budget) VALUES ($1, $2)`, [userId, 3 * C]);
    const k = await generateKey(a, { user_id: userId });
    const { served, messages } = await burst(a.client(k.key), tag, 20);
    expect(served).toBeGreaterThanOrEqual(3);
    expect(served).toBeLessThanOrEqual(4);
    expect(messages[0]).toMatch(new RegExp(`^ExceededBudget: User=${userId} over budget\\. Spend=[\\d.e-]+, Budget=${BUDGET}$`));
    await booked(tag, served);
    await waitFor(
      async () =>
        Math.abs((await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_UserTable" WHERE user_id = $1', [userId]))[0].spend - served * C) < 1e-9,
      3000,
    );
    // A second key of the same user is refused too, on another instance.
    const k2 = await generateKey(b, { user_id: userId });
    await expectRefused(ask(b.client(k2.key), tag), 400, /^ExceededBudget: User=/);
  });

  it("a team's budget counts across its keys: two keys bursting together serve at most 4, then LiteLLM's team message", async () => {
    const tag = uniqueTag('team');
    const teamId = uniqueTag('t');
    await db.query(`INSERT INTO "LiteLLM_TeamTable" (team_id, max_budget) VALUES ($1, $2)`, [teamId, 3 * C]);
    const k1 = await generateKey(a, { team_id: teamId });
    const k2 = await generateKey(a, { team_id: teamId });
    const [r1, r2] = await Promise.all([burst(a.client(k1.key), tag, 10), burst(a.client(k2.key), tag, 10)]);
    const served = r1.served + r2.served;
    expect(served).toBeGreaterThanOrEqual(3);
    expect(served).toBeLessThanOrEqual(4);
    expect([...r1.messages, ...r2.messages][0]).toMatch(
      new RegExp(`^Budget has been exceeded! Team=${teamId} Current cost: [\\d.e-]+, Max budget: ${BUDGET}$`),
    );
    const { spend } = await booked(tag, served);
    expectMoney(spend, served * C);
    await waitFor(
      async () =>
        Math.abs((await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_TeamTable" WHERE team_id = $1', [teamId]))[0].spend - served * C) < 1e-9,
      3000,
    );
  });

  it('KEY_CACHE_TTL_MS: a key blocked in the database without a NOTIFY stops working once its entry expires', async () => {
    const k = await generateKey(shortTtl, {});
    const sdk = shortTtl.client(k.key);
    await ask(sdk, uniqueTag('ttl'));
    await db.query('UPDATE "LiteLLM_VerificationToken" SET blocked = true WHERE token = $1', [k.token_id]);
    await waitFor(
      async () => {
        try {
          await ask(sdk, uniqueTag('ttl'));
          return false;
        } catch (err) {
          return err instanceof APIError && err.status === 401;
        }
      },
      3000,
      50,
    );
    await expectRefused(ask(sdk, uniqueTag('ttl')), 401, /Key is blocked/);
  });

  it('LISTEN reconnects after its backend is terminated: a notice missed meanwhile drops the cache, later notices arrive', async () => {
    const k = await generateKey(a, {});
    const sdk = a.client(k.key);
    await ask(sdk, uniqueTag('listen'));
    // By name: after a heartbeat the backend's last query is no longer the LISTEN.
    const listeners = () =>
      db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'model-proxy-listen'`, [db.name]);
    const before = (await listeners()).map((r) => r.pid);
    expect(before.length).toBeGreaterThanOrEqual(3);
    // The new backend shows in pg_stat_activity before `a` has dropped its cache: wait for `a` itself.
    const restored = new Promise<void>((resolve) => a.proxy.app.get(DbEventsService).onReconnected(resolve));
    await db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'model-proxy-listen'`, [db.name]);
    // Blocked while no instance listens: this notice is lost.
    await db.query('UPDATE "LiteLLM_VerificationToken" SET blocked = true WHERE token = $1', [k.token_id]);
    await db.query(`SELECT pg_notify('proxy_key_change', $1)`, [k.token_id]);
    await waitFor(async () => (await listeners()).filter((r) => !before.includes(r.pid)).length >= before.length, 5000, 50);
    await restored;
    await expectRefused(ask(sdk, uniqueTag('listen')), 401, /Key is blocked/);
    // On the new connection a notice is seen again (the 60 s cache TTL is not what does it).
    await db.query('UPDATE "LiteLLM_VerificationToken" SET blocked = false WHERE token = $1', [k.token_id]);
    await db.query(`SELECT pg_notify('proxy_key_change', $1)`, [k.token_id]);
    await waitFor(
      async () => {
        try {
          await ask(sdk, uniqueTag('listen'));
          return true;
        } catch {
          return false;
        }
      },
      2000,
      50,
    );
  });

  it('LISTEN over a link gone silent (no FIN, no RST): the heartbeat notices, reconnects, and the cache is dropped', async () => {
    const u = new URL(db.url);
    const relay = await startTcpProxy(u.hostname, Number(u.port || 5432));
    const via = new URL(db.url);
    via.hostname = '127.0.0.1';
    via.port = String(relay.port);
    const relayed = await startTestProxy({
      databaseUrl: via.toString(),
      models: [{ model_name: 'priced', litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url }, model_info: { output_cost_per_token: OUT } }],
      env: { LISTEN_HEARTBEAT_MS: '300' },
    });
    try {
      const k = await generateKey(a, {});
      const sdk = relayed.client(k.key);
      await ask(sdk, uniqueTag('silent'));
      expect(relay.freeze('LISTEN ')).toBe(1);
      await db.query('UPDATE "LiteLLM_VerificationToken" SET blocked = true WHERE token = $1', [k.token_id]);
      await db.query(`SELECT pg_notify('proxy_key_change', $1)`, [k.token_id]);
      await waitFor(
        async () => {
          try {
            await ask(sdk, uniqueTag('silent'));
            return false;
          } catch (err) {
            return err instanceof APIError && err.status === 401;
          }
        },
        4000,
        100,
      );
    } finally {
      await relayed.close();
      await relay.close();
    }
  });
});
