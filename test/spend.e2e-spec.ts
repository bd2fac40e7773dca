import { createHash } from 'node:crypto';
import OpenAI, { APIError, BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetResetService } from '../src/spend/budget-reset.service.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { closedPort, rejectionOf, uniqueTag, waitFor, withMock } from './helpers/sdk.js';
import { costOf, expectMoney, generateKey, sleep, type SpendRow, updateKey, words } from './helpers/spend.js';

// Issue 5 through the official SDK: what each request costs, the row it books, key/user/team
// spend, budgets and their reset, and the operator reports. The DB outage and the shutdown flush
// live in spend-outage.e2e-spec.ts.

const GEMMA = 'google/gemma-4-31b';
const CHAT: { input: number; output: number } = { input: 0.0000002, output: 0.0000008 };
const EMBED = { input: 0.00000005, output: 0.000003 };
const REPORT = { input: 0.0000011, output: 0.0000023 };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const user = (content: string) => [{ role: 'user' as const, content }];

describe('spend: accounting, budgets and reports', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let app: TestProxy;
  /** A second instance on the same database that writes only on shutdown (SPEND_FLUSH_MS=60000). */
  let slow: TestProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    gemma = await startMockVllm({ model: GEMMA });
    const dead = `http://127.0.0.1:${await closedPort()}/v1`;
    const models = [
      {
        model_name: 'gemma',
        litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
        model_info: { input_cost_per_token: CHAT.input, output_cost_per_token: CHAT.output },
      },
      {
        model_name: 'gemma-embed',
        litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
        model_info: { input_cost_per_token: EMBED.input, output_cost_per_token: EMBED.output },
      },
      {
        model_name: 'report-model',
        litellm_params: { model: `openai/${GEMMA}`, api_base: gemma.url },
        model_info: { input_cost_per_token: REPORT.input, output_cost_per_token: REPORT.output },
      },
      {
        model_name: 'dead',
        litellm_params: { model: `openai/${GEMMA}`, api_base: dead },
        model_info: { input_cost_per_token: CHAT.input, output_cost_per_token: CHAT.output },
      },
    ];
    const settings = { litellm_settings: { num_retries: 1 } };
    app = await startTestProxy({ databaseUrl: db.url, models, settings });
    slow = await startTestProxy({ databaseUrl: db.url, models, settings, env: { SPEND_FLUSH_MS: '60000' } });
  });
  afterAll(async () => {
    await slow?.close();
    await app?.close();
    await gemma?.close();
    await db?.drop();
  });

  /** The rows booked under `user`, once `n` are written; then one more flush period to catch extras. */
  async function bookedRows(tag: string, n: number): Promise<SpendRow[]> {
    const q = () => db.query<SpendRow>('SELECT * FROM "LiteLLM_SpendLogs" WHERE "user" = $1 ORDER BY "startTime", request_id', [tag]);
    await waitFor(async () => (await q()).length >= n, 5000);
    await sleep(150);
    const rows = await q();
    expect(rows).toHaveLength(n);
    return rows;
  }

  async function keyRow(token: string): Promise<{ spend: number; budget_reset_at: Date | null }> {
    const [row] = await db.query<{ spend: number; budget_reset_at: Date | null }>(
      'SELECT spend, budget_reset_at FROM "LiteLLM_VerificationToken" WHERE token = $1',
      [token],
    );
    return row;
  }

  async function keyInfoSpend(proxy: TestProxy, keyOrHash: string): Promise<number> {
    const res = await proxy.fetch(`/key/info?key=${encodeURIComponent(keyOrHash)}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { info: { spend: number } }).info.spend;
  }

  /** The request's wall-clock window, to check startTime/endTime against (1 ms for rounding). */
  function expectWithin(row: SpendRow, t0: number, t1: number): void {
    expect(row.startTime.getTime()).toBeGreaterThanOrEqual(t0 - 1);
    expect(row.startTime.getTime()).toBeLessThanOrEqual(row.endTime.getTime());
    expect(row.endTime.getTime()).toBeLessThanOrEqual(t1 + 1);
  }

  describe('one row per request, priced from the deployment', () => {
    let key: string;
    let alias: string;
    let sdk: OpenAI;
    beforeAll(async () => {
      alias = uniqueTag('rows-key');
      key = (await generateKey(app, { key_alias: alias })).key;
      sdk = app.client(key);
    });

    function expectRow(row: SpendRow, want: Partial<SpendRow> & { spend: number }): void {
      const { spend, ...rest } = want;
      expect(row).toMatchObject({ api_key: sha256(key), model: GEMMA, api_base: gemma.url, ...rest });
      expectMoney(row.spend, spend);
      expect(row.total_tokens).toBe(row.prompt_tokens + row.completion_tokens);
      expect(row.metadata).toMatchObject({ user_api_key_alias: alias });
    }

    it('chat, non-streaming', async () => {
      const tag = uniqueTag('chat');
      const t0 = Date.now();
      const done = await sdk.chat.completions.create({ model: 'gemma', messages: user('one two three'), max_tokens: 5, user: tag });
      const t1 = Date.now();
      expect(done.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 5 });
      expect(done.id).toMatch(/^chatcmpl-/);

      const [row] = await bookedRows(tag, 1);
      expectRow(row, {
        request_id: done.id,
        call_type: 'acompletion',
        model_group: 'gemma',
        user: tag,
        status: 'success',
        prompt_tokens: 3,
        completion_tokens: 5,
        spend: costOf(CHAT, 3, 5),
      });
      expectWithin(row, t0, t1);
    });

    it('chat, streaming with include_usage: the usage chunk reaches the client and is booked', async () => {
      const tag = uniqueTag('stream-usage');
      const t0 = Date.now();
      const stream = await sdk.chat.completions.create({
        model: 'gemma',
        messages: user('a b c d e f g'),
        max_tokens: 4,
        stream: true,
        stream_options: { include_usage: true },
        user: tag,
      });
      const ids = new Set<string>();
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        ids.add(chunk.id);
        if (chunk.usage) usage = chunk.usage;
      }
      const t1 = Date.now();
      expect(usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 4 });
      expect(ids.size).toBe(1);
      const [id] = ids;

      const [row] = await bookedRows(tag, 1);
      expectRow(row, {
        request_id: id,
        call_type: 'acompletion',
        model_group: 'gemma',
        user: tag,
        status: 'success',
        prompt_tokens: 7,
        completion_tokens: 4,
        spend: costOf(CHAT, 7, 4),
      });
      expectWithin(row, t0, t1);
    });

    it('chat, streaming without include_usage: the client sees no usage, the proxy books it anyway', async () => {
      const tag = uniqueTag('stream-plain');
      const stream = await sdk.chat.completions.create({ model: 'gemma', messages: user('just two'), max_tokens: 9, stream: true, user: tag });
      let id = '';
      let chunks = 0;
      for await (const chunk of stream) {
        id = chunk.id;
        chunks++;
        expect(chunk.usage ?? null).toBeNull();
      }
      expect(chunks).toBeGreaterThan(9);

      const [row] = await bookedRows(tag, 1);
      expectRow(row, { request_id: id, call_type: 'acompletion', status: 'success', prompt_tokens: 2, completion_tokens: 9, spend: costOf(CHAT, 2, 9) });
    });

    it('text completions, streaming and not', async () => {
      const tag = uniqueTag('text');
      const done = await sdk.completions.create({ model: 'gemma', prompt: 'once upon a time', max_tokens: 6, user: tag });
      expect(done.id).toMatch(/^cmpl-/);
      await sleep(5);
      const stream = await sdk.completions.create({
        model: 'gemma',
        prompt: 'there was a tiny proxy',
        max_tokens: 2,
        stream: true,
        stream_options: { include_usage: true },
        user: tag,
      });
      let streamId = '';
      for await (const chunk of stream) streamId = chunk.id;
      expect(streamId).toMatch(/^cmpl-/);

      const rows = await bookedRows(tag, 2);
      const byId = new Map(rows.map((r) => [r.request_id, r]));
      expectRow(byId.get(done.id)!, {
        call_type: 'atext_completion',
        model_group: 'gemma',
        status: 'success',
        prompt_tokens: 4,
        completion_tokens: 6,
        spend: costOf(CHAT, 4, 6),
      });
      expectRow(byId.get(streamId)!, { call_type: 'atext_completion', status: 'success', prompt_tokens: 5, completion_tokens: 2, spend: costOf(CHAT, 5, 2) });
    });

    it("embeddings, priced from their own deployment's model_info", async () => {
      const tag = uniqueTag('embed');
      const t0 = Date.now();
      const res = await sdk.embeddings.create({ model: 'gemma-embed', input: ['alpha beta gamma', 'delta epsilon'], user: tag });
      const t1 = Date.now();
      expect(res.usage.prompt_tokens).toBe(5);

      const [row] = await bookedRows(tag, 1);
      expect(row.request_id).toMatch(/^embd-/);
      expectRow(row, {
        call_type: 'aembedding',
        model_group: 'gemma-embed',
        user: tag,
        status: 'success',
        prompt_tokens: 5,
        completion_tokens: 0,
        spend: costOf(EMBED, 5, 0),
      });
      expectWithin(row, t0, t1);
    });

    /** A failure adds nothing: the key's spend (live and written) stays the sum of its rows. */
    async function expectSpendIsSumOfRows(): Promise<void> {
      const [{ s }] = await db.query<{ s: number }>('SELECT coalesce(sum(spend), 0) AS s FROM "LiteLLM_SpendLogs" WHERE api_key = $1', [sha256(key)]);
      expectMoney((await keyRow(sha256(key))).spend, s);
      expectMoney(await keyInfoSpend(app, key), s);
    }

    it('a backend 400 books one failure row with spend 0 and the error type', async () => {
      const tag = uniqueTag('fail-400');
      await sdk.chat.completions.create({ model: 'gemma', messages: user('paid first'), max_tokens: 2, user: tag });
      const t0 = Date.now();
      const err = await rejectionOf(
        sdk.chat.completions.create(withMock({ model: 'gemma', messages: user('will fail'), max_tokens: 5, user: tag }, { fault: '400' }), {
          headers: { 'x-request-id': tag },
        }),
      );
      const t1 = Date.now();
      expect(err).toBeInstanceOf(BadRequestError);

      const rows = await bookedRows(tag, 2);
      const row = rows.find((r) => r.status === 'failure')!;
      expectRow(row, { call_type: 'acompletion', model_group: 'gemma', user: tag, status: 'failure', prompt_tokens: 0, completion_tokens: 0, spend: 0 });
      expect(row.metadata).toMatchObject({ error_type: 'invalid_request_error', status_code: 400, request_id: tag });
      expectWithin(row, t0, t1);
      await expectSpendIsSumOfRows();
    });

    it('a dead backend books exactly one failure row (retries included) with spend 0', async () => {
      const tag = uniqueTag('fail-dead');
      const err = await rejectionOf(
        sdk.chat.completions.create({ model: 'dead', messages: user('nobody home'), max_tokens: 5, user: tag }, { headers: { 'x-request-id': tag } }),
      );
      expect(err).toBeInstanceOf(APIError);
      expect((err as APIError).status).toBe(502);

      const [row] = await bookedRows(tag, 1);
      expect(row).toMatchObject({ api_key: sha256(key), model: GEMMA, model_group: 'dead', status: 'failure', total_tokens: 0, spend: 0, user: tag });
      expect(row.api_base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      expect(row.api_base).not.toBe(gemma.url);
      expect(row.metadata).toMatchObject({ error_type: 'upstream_error', request_id: tag, user_api_key_alias: alias });
      await expectSpendIsSumOfRows();
    });
  });

  it('30 concurrent requests on two keys: key, user and team spend are exactly the sums of the rows', async () => {
    const tag = uniqueTag('concurrent');
    const userId = `${tag}-user`;
    const teamId = `${tag}-team`;
    // Non-zero starting points: the writer must add, not overwrite.
    await db.query('INSERT INTO "LiteLLM_UserTable" (user_id, spend) VALUES ($1, 0.5)', [userId]);
    await db.query('INSERT INTO "LiteLLM_TeamTable" (team_id, spend) VALUES ($1, 0.25)', [teamId]);
    const keys = [await generateKey(app, { user_id: userId, team_id: teamId }), await generateKey(app, { user_id: userId, team_id: teamId })];

    const expected = new Map<string, number>();
    const perKey = [0, 0];
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const prompt = i + 1;
        const completion = (i % 7) + 1;
        const done = await app
          .client(keys[i % 2].key)
          .chat.completions.create({ model: 'gemma', messages: user(words(prompt)), max_tokens: completion, user: tag });
        expect(done.usage).toMatchObject({ prompt_tokens: prompt, completion_tokens: completion });
        expected.set(done.id, costOf(CHAT, prompt, completion));
        perKey[i % 2] += costOf(CHAT, prompt, completion);
      }),
    );

    const rows = await bookedRows(tag, 30);
    expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(expected.keys()));
    for (const r of rows) {
      expectMoney(r.spend, expected.get(r.request_id)!);
      expect(r.team_id).toBe(teamId);
      expect(r.metadata).toMatchObject({ user_api_key_user_id: userId, user_api_key_team_id: teamId });
    }
    const total = perKey[0] + perKey[1];
    for (const [i, k] of keys.entries()) {
      const [{ s }] = await db.query<{ s: number }>('SELECT sum(spend) AS s FROM "LiteLLM_SpendLogs" WHERE api_key = $1', [k.token_id]);
      expectMoney(s, perKey[i]);
      expectMoney((await keyRow(k.token_id)).spend, s);
      expectMoney(await keyInfoSpend(app, k.token_id), s);
    }
    const [u] = await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_UserTable" WHERE user_id = $1', [userId]);
    const [t] = await db.query<{ spend: number }>('SELECT spend FROM "LiteLLM_TeamTable" WHERE team_id = $1', [teamId]);
    expectMoney(u.spend, 0.5 + total);
    expectMoney(t.spend, 0.25 + total);
  });

  describe('budgets', () => {
    const prompt = 'one two three';
    const c = costOf(CHAT, 3, 5);
    const ask = (sdk: OpenAI, tag: string) => sdk.chat.completions.create({ model: 'gemma', messages: user(prompt), max_tokens: 5, user: tag });

    async function expectBudgetExceeded(p: Promise<unknown>, spend: number, max: number): Promise<void> {
      const err = await rejectionOf(p);
      expect(err).toBeInstanceOf(BadRequestError);
      const e = err as APIError;
      expect(e.status).toBe(400);
      expect(e.type).toBe('budget_exceeded');
      const message = (e.error as { message: string }).message;
      expect(message).toContain('Budget has been exceeded! Current cost:');
      expect(message).toContain('Max budget:');
      const m = /Current cost: ([-+.\de]+), Max budget: ([-+.\de]+)/.exec(message);
      expect(m, message).not.toBeNull();
      expectMoney(Number(m![1]), spend);
      expectMoney(Number(m![2]), max);
    }

    /** The first answer that is not a budget refusal, within `ms` (key changes reach the cache by NOTIFY). */
    async function passesWithin(p: () => Promise<unknown>, ms = 2000): Promise<void> {
      const until = Date.now() + ms;
      for (;;) {
        try {
          await p();
          return;
        } catch (err) {
          if (!(err instanceof APIError) || err.type !== 'budget_exceeded' || Date.now() > until) throw err;
          await sleep(20);
        }
      }
    }

    it('max_budget = one request: the first passes, the next is refused; still refused after the flush; /key/update lifts it', async () => {
      const tag = uniqueTag('budget');
      const k = await generateKey(app, { max_budget: c });
      const sdk = app.client(k.key);
      await ask(sdk, tag);
      await expectBudgetExceeded(ask(sdk, tag), c, c);

      await waitFor(async () => (await keyRow(k.token_id)).spend > 0, 3000);
      expectMoney((await keyRow(k.token_id)).spend, c);
      await sleep(300);
      await expectBudgetExceeded(ask(sdk, tag), c, c);

      await updateKey(app, { key: k.key, max_budget: 2.5 * c });
      await passesWithin(() => ask(sdk, tag));
      await ask(sdk, tag);
      await expectBudgetExceeded(ask(sdk, tag), 3 * c, 2.5 * c);
      await waitFor(async () => Math.abs((await keyRow(k.token_id)).spend - 3 * c) < 1e-9, 3000);
    });

    it('the check counts spend booked but not yet written', async () => {
      const k = await generateKey(slow, { max_budget: c });
      const sdk = slow.client(k.key);
      await ask(sdk, uniqueTag('budget-pending'));
      await expectBudgetExceeded(ask(sdk, uniqueTag('budget-pending')), c, c);
      // That instance writes every 60 s: the refusal came from memory.
      expect((await keyRow(k.token_id)).spend).toBe(0);
    });

    it('regenerating a key carries the spend booked under its old hash, written or not', async () => {
      const k = await generateKey(slow, { max_budget: 10 * c });
      await ask(slow.client(k.key), uniqueTag('regen-pending'));
      const res = await slow.fetch('/key/regenerate', { method: 'POST', json: { key: k.key } });
      expect(res.status).toBe(200);
      const fresh = (await res.json()) as { key: string; token_id: string };
      await ask(slow.client(fresh.key), uniqueTag('regen-pending'));
      // /spend/logs writes what is pending first.
      expect((await slow.fetch('/spend/logs?page_size=1')).status).toBe(200);
      expectMoney((await keyRow(fresh.token_id)).spend, 2 * c);
    });

    it('a budget a little above one request admits the second request and refuses the third', async () => {
      const tag = uniqueTag('budget-1.5');
      const k = await generateKey(app, { max_budget: 1.5 * c });
      const sdk = app.client(k.key);
      await ask(sdk, tag);
      await ask(sdk, tag);
      await expectBudgetExceeded(ask(sdk, tag), 2 * c, 1.5 * c);
    });

    it("budget_duration: after the period the reset job zeroes the key's spend, moves budget_reset_at past now, and the key works again", async () => {
      const tag = uniqueTag('budget-reset');
      const k = await generateKey(app, { max_budget: c, budget_duration: '1s' });
      expect(k.budget_reset_at).not.toBeNull();
      const sdk = app.client(k.key);
      await ask(sdk, tag);
      await expectBudgetExceeded(ask(sdk, tag), c, c);
      await waitFor(async () => (await keyRow(k.token_id)).spend > 0, 3000);

      await sleep(Math.max(0, new Date(k.budget_reset_at!).getTime() - Date.now()) + 50);
      const now = new Date();
      await app.proxy.app.get(BudgetResetService).run(now);

      const after = await keyRow(k.token_id);
      expect(after.spend).toBe(0);
      expect(after.budget_reset_at!.getTime()).toBeGreaterThan(now.getTime());
      expect(after.budget_reset_at!.getTime()).toBeLessThanOrEqual(now.getTime() + 1000);
      await passesWithin(() => ask(sdk, tag));
      expect(await bookedRows(tag, 2)).toHaveLength(2);
    });

    it('two instances running the reset at the same moment reset the key once, without error', async () => {
      const k = await generateKey(app, { max_budget: 1, budget_duration: '1d' });
      await ask(app.client(k.key), uniqueTag('reset-twice'));
      await waitFor(async () => (await keyRow(k.token_id)).spend > 0, 3000);
      const dueAt = (await keyRow(k.token_id)).budget_reset_at!;
      // A moment just past the boundary, the same for both: the periodic job (real clock) cannot interfere.
      const now = new Date(dueAt.getTime() + 1000);

      const [a, b] = await Promise.all([app.proxy.app.get(BudgetResetService).run(now), slow.proxy.app.get(BudgetResetService).run(now)]);
      expect([...a, ...b].filter((t) => t === k.token_id)).toHaveLength(1);
      const after = await keyRow(k.token_id);
      expect(after.spend).toBe(0);
      expect(after.budget_reset_at!.getTime()).toBe(dueAt.getTime() + 86_400_000);
    });
  });

  describe('reports', () => {
    let key: string;
    let hash: string;
    let alias: string;
    let expectedTotal = 0;
    const ids: string[] = [];
    const usages: Array<[number, number]> = [
      [2, 3],
      [5, 1],
      [8, 8],
      [1, 13],
      [13, 2],
    ];

    beforeAll(async () => {
      alias = uniqueTag('report-key');
      key = (await generateKey(app, { key_alias: alias })).key;
      hash = sha256(key);
      const sdk = app.client(key);
      for (const [i, [p, n]] of usages.entries()) {
        if (i % 2 === 0) {
          ids.push((await sdk.chat.completions.create({ model: 'report-model', messages: user(words(p)), max_tokens: n })).id);
        } else {
          const stream = await sdk.chat.completions.create({ model: 'report-model', messages: user(words(p)), max_tokens: n, stream: true });
          let id = '';
          for await (const chunk of stream) id = chunk.id;
          ids.push(id);
        }
        expectedTotal += costOf(REPORT, p, n);
        // Distinct startTimes, so the order and the time filter are well defined.
        await sleep(5);
      }
      await rejectionOf(sdk.chat.completions.create(withMock({ model: 'report-model', messages: user('x'), max_tokens: 1 }, { fault: '400' })));
    });

    async function logs(
      query: Record<string, string | number>,
    ): Promise<Array<Record<string, unknown> & { request_id: string; spend: number; startTime: string; api_key: string }>> {
      const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
      const res = await app.fetch(`/spend/logs?${qs}`);
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as Array<Record<string, unknown> & { request_id: string; spend: number; startTime: string; api_key: string }>;
    }

    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

    it('/spend/logs: by plain key or hash, newest first, with the rows written before the answer', async () => {
      const byPlain = await logs({ api_key: key });
      const byHash = await logs({ api_key: hash });
      expect(byPlain).toHaveLength(6);
      expect(byHash).toEqual(byPlain);
      for (const r of byPlain) expect(r.api_key).toBe(hash);
      expect(byPlain.filter((r) => r.status === 'failure')).toHaveLength(1);
      const successes = byPlain.filter((r) => r.status === 'success');
      expect(new Set(successes.map((r) => r.request_id))).toEqual(new Set(ids));
      expectMoney(
        byPlain.reduce((s, r) => s + r.spend, 0),
        expectedTotal,
      );
      const times = byPlain.map((r) => Date.parse(r.startTime));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('/spend/logs: by request_id', async () => {
      const rows = await logs({ request_id: ids[2] });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        request_id: ids[2],
        api_key: hash,
        model_group: 'report-model',
        model: GEMMA,
        status: 'success',
        prompt_tokens: 8,
        completion_tokens: 8,
        total_tokens: 16,
      });
      expectMoney(rows[0].spend, costOf(REPORT, 8, 8));
      expect(await logs({ request_id: 'chatcmpl-does-not-exist' })).toEqual([]);
    });

    it('/spend/logs: start_date / end_date, as bare days and as times', async () => {
      expect(await logs({ api_key: key, start_date: day(0), end_date: day(0) })).toHaveLength(6);
      expect(await logs({ api_key: key, end_date: day(-1) })).toEqual([]);
      expect(await logs({ api_key: key, start_date: day(1) })).toEqual([]);

      const all = await logs({ api_key: key });
      const oldestFirst = [...all].reverse();
      const from = oldestFirst[2].startTime;
      const to = oldestFirst[4].startTime;
      const window = await logs({ api_key: key, start_date: from, end_date: to });
      expect(window.map((r) => r.request_id)).toEqual(
        oldestFirst
          .slice(2, 5)
          .reverse()
          .map((r) => r.request_id),
      );
    });

    it('/spend/logs: pages are disjoint, ordered, and cover every row', async () => {
      const all = await logs({ api_key: key });
      const pages = [];
      for (let page = 1; page <= 4; page++) pages.push(await logs({ api_key: key, page_size: 2, page }));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 0]);
      expect(pages.flat().map((r) => r.request_id)).toEqual(all.map((r) => r.request_id));
      const bad = await app.fetch('/spend/logs?page_size=0');
      expect(bad.status).toBe(400);
    });

    it("/global/spend: the sum of every row, and it grows by exactly one request's cost", async () => {
      const total = async () => {
        const res = await app.fetch('/global/spend');
        expect(res.status).toBe(200);
        return ((await res.json()) as { spend: number }).spend;
      };
      const before = await total();
      const [{ s }] = await db.query<{ s: number }>('SELECT sum(spend) AS s FROM "LiteLLM_SpendLogs"');
      expectMoney(before, s);
      // Booked a moment ago, not yet flushed: the report must count it.
      const other = (await generateKey(app, {})).key;
      await app.client(other).chat.completions.create({ model: 'gemma', messages: user(words(21)), max_tokens: 34 });
      expectMoney((await total()) - before, costOf(CHAT, 21, 34));
    });

    it('/global/spend/report: by api_key, model and day, with spend, tokens and counts', async () => {
      const report = async (q: string) => {
        const res = await app.fetch(`/global/spend/report${q}`);
        expect(res.status, await res.clone().text()).toBe(200);
        return (await res.json()) as Array<Record<string, unknown> & { total_spend: number; requests: number }>;
      };
      const usageTotals = usages.reduce((acc, [p, n]) => ({ prompt: acc.prompt + p, completion: acc.completion + n }), { prompt: 0, completion: 0 });
      const want = {
        prompt_tokens: usageTotals.prompt,
        completion_tokens: usageTotals.completion,
        total_tokens: usageTotals.prompt + usageTotals.completion,
        requests: 6,
        failed_requests: 1,
      };

      const byKey = (await report('?group_by=api_key')).filter((r) => r.api_key === hash);
      expect(byKey).toHaveLength(1);
      expect(byKey[0]).toMatchObject({ key_alias: alias, ...want });
      expectMoney(byKey[0].total_spend, expectedTotal);

      const byModel = (await report('?group_by=model')).filter((r) => r.model === 'report-model');
      expect(byModel).toHaveLength(1);
      expect(byModel[0]).toMatchObject(want);
      expectMoney(byModel[0].total_spend, expectedTotal);

      const byDay = await report(`?start_date=${day(0)}`);
      const [sql] = await db.query<{ s: number; n: number; failed: number; p: number }>(
        `SELECT sum(spend) AS s, count(*)::int AS n, count(*) FILTER (WHERE status = 'failure')::int AS failed, sum(prompt_tokens)::int AS p
         FROM "LiteLLM_SpendLogs" WHERE "startTime" >= $1`,
        [day(0)],
      );
      expect(byDay).toHaveLength(1);
      expect(byDay[0]).toMatchObject({ group_by_day: day(0), requests: sql.n, failed_requests: sql.failed, prompt_tokens: sql.p });
      expectMoney(byDay[0].total_spend, sql.s);
      expect(sql.n).toBeGreaterThanOrEqual(6);
      expect(await report(`?start_date=${day(1)}`)).toEqual([]);
    });
  });

  it('/key/info shows live spend: booked and not yet written, then written, never counted twice', async () => {
    const tag = uniqueTag('live');
    const k = await generateKey(slow, {});
    const sdk = slow.client(k.key);
    await sdk.chat.completions.create({ model: 'gemma', messages: user(words(10)), max_tokens: 3, user: tag });
    // This instance writes every 60 s: nothing is in the database yet.
    expectMoney(await keyInfoSpend(slow, k.key), costOf(CHAT, 10, 3));
    expect((await keyRow(k.token_id)).spend).toBe(0);
    await sdk.chat.completions.create({ model: 'gemma', messages: user(words(4)), max_tokens: 20, user: tag });
    const both = costOf(CHAT, 10, 3) + costOf(CHAT, 4, 20);
    expectMoney(await keyInfoSpend(slow, k.token_id), both);
    expect(await db.query('SELECT 1 FROM "LiteLLM_SpendLogs" WHERE "user" = $1', [tag])).toEqual([]);

    // The key reads its own info too.
    const own = await slow.fetch('/key/info', { key: k.key });
    expect(own.status).toBe(200);
    expectMoney(((await own.json()) as { info: { spend: number } }).info.spend, both);

    // A report writes what is pending first; afterwards the live figure is the written one, not twice it.
    await slow.fetch(`/spend/logs?api_key=${k.token_id}`);
    expectMoney((await keyRow(k.token_id)).spend, both);
    expectMoney(await keyInfoSpend(slow, k.key), both);
    expect(await bookedRows(tag, 2)).toHaveLength(2);
  });
});
