import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetResetService } from '../src/spend/budget-reset.service.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { apiErrorOf, expectErrorEnvelope, waitFor } from './helpers/sdk.js';
import { generateKey, sleep } from './helpers/spend.js';

// Issue 14 item 2: LiteLLM's /team/* and /user/* with the request bodies of docs.litellm.ai
// (proxy/team_budgets, proxy/users, proxy/virtual_keys), and the team's and user's settings enforced
// at auth for every key of it, on every instance.

const MODEL_ID = 'google/gemma-4-31b';
const PRICE = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };

interface Team {
  team_id: string;
  team_alias: string | null;
  models: string[];
  max_budget: number | null;
  blocked: boolean;
  members_with_roles: Array<{ role: string; user_id: string | null; user_email: string | null }>;
  budget_reset_at: string | null;
  spend: number;
}

describe('teams and users (LiteLLM shapes, enforced at auth)', () => {
  let mock: MockVllm;
  let db: TestDatabase;
  let app: TestProxy;
  let other: TestProxy;

  beforeAll(async () => {
    [mock, db] = await Promise.all([startMockVllm({ model: MODEL_ID }), createTestDatabase()]);
    const params = { model: `openai/${MODEL_ID}`, api_base: mock.url };
    const models = ['gpt-4', 'gpt-3.5-turbo', 'claude'].map((model_name) => ({ model_name, litellm_params: params, model_info: PRICE }));
    app = await startTestProxy({ databaseUrl: db.url, models });
    other = await startTestProxy({ databaseUrl: db.url, models });
  });
  afterAll(async () => {
    await other?.close();
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  async function call<T>(path: string, json?: unknown, status = 200): Promise<T> {
    const res = await app.fetch(path, json === undefined ? {} : { method: 'POST', json });
    expect(res.status, await res.clone().text()).toBe(status);
    return (await res.json()) as T;
  }
  const ask = (proxy: TestProxy, key: string, model = 'gpt-4') =>
    proxy.client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

  it('/team/new with models and a budget (docs example), a key minted into it, /team/info and /team/list', async () => {
    const team = await call<Team>('/team/new', {
      team_alias: 'my-new-team',
      models: ['gpt-4', 'gpt-3.5-turbo'],
      max_budget: 10,
      unknown_field: 1,
      metadata: null,
    });
    expect(team.team_alias).toBe('my-new-team');
    expect(team.models).toEqual(['gpt-4', 'gpt-3.5-turbo']);
    expect(team.max_budget).toBe(10);
    const [row] = await db.query<{ models: string[]; max_budget: number }>(`SELECT models, max_budget FROM "LiteLLM_TeamTable" WHERE team_id = $1`, [
      team.team_id,
    ]);
    expect(row).toEqual({ models: ['gpt-4', 'gpt-3.5-turbo'], max_budget: 10 });

    const k = await generateKey(app, { team_id: team.team_id });
    const info = await call<{ team_id: string; team_info: Team; keys: Array<{ token: string }> }>(`/team/info?team_id=${team.team_id}`);
    expect(info.team_id).toBe(team.team_id);
    expect(info.team_info.team_alias).toBe('my-new-team');
    expect(info.keys.map((x) => x.token)).toEqual([k.token_id]);
    const list = await call<Team[]>('/team/list');
    expect(list.map((t) => t.team_id)).toContain(team.team_id);
  });

  it('refuses wrong types and unknown model names clearly; ignores unknown fields', async () => {
    const bad = await app.fetch('/team/new', { method: 'POST', json: { max_budget: 'lots' } });
    expect((await expectErrorEnvelope(bad, 400)).param).toBe('max_budget');
    const unknown = await app.fetch('/team/new', { method: 'POST', json: { models: ['no-such-model'] } });
    expect((await expectErrorEnvelope(unknown, 400)).message).toContain('no-such-model');
    const user = await app.fetch('/user/new', { method: 'POST', json: { models: ['nope'] } });
    expect((await expectErrorEnvelope(user, 400)).param).toBe('models');
    const virtual = await generateKey(app);
    const denied = await app.fetch('/team/new', { method: 'POST', json: {}, key: virtual.key });
    expect(denied.status).toBe(403);
  });

  it('a key of a team may only use the team models: refused at /key/generate, and at request time', async () => {
    const team = await call<Team>('/team/new', { models: ['gpt-4'] });
    const refused = await app.fetch('/key/generate', { method: 'POST', json: { team_id: team.team_id, models: ['claude'] } });
    expect((await expectErrorEnvelope(refused, 400)).param).toBe('models');
    const k = await generateKey(app, { team_id: team.team_id });
    await ask(app, k.key, 'gpt-4');
    const err = await apiErrorOf(ask(app, k.key, 'claude'));
    expect(err.status).toBe(401);
    expect(err.message).toContain('team not allowed to access model');
    // models: [] on a team means every model.
    const open = await call<Team>('/team/new', { models: [] });
    const k2 = await generateKey(app, { team_id: open.team_id, models: ['claude'] });
    await ask(app, k2.key, 'claude');
    // Narrowing the team takes effect at once for its existing keys.
    await call('/team/update', { team_id: open.team_id, models: ['gpt-4'] });
    expect((await apiErrorOf(ask(app, k2.key, 'claude'))).status).toBe(401);
  });

  it('/team/block: every key of the team gets 401, here and on a second instance within ~1 s; /team/unblock restores it', async () => {
    const team = await call<Team>('/team/new', { team_alias: 'blockme' });
    const k = await generateKey(app, { team_id: team.team_id });
    await ask(app, k.key);
    await ask(other, k.key);
    const blocked = await call<Team>('/team/block', { team_id: team.team_id });
    expect(blocked.blocked).toBe(true);
    const err = await apiErrorOf(ask(app, k.key));
    expect(err.status).toBe(401);
    expect(err.message).toContain('is blocked');
    await waitFor(async () => (await apiErrorOf(ask(other, k.key)).catch(() => undefined))?.status === 401, 1000, 50);
    await call('/team/unblock', { team_id: team.team_id });
    await ask(app, k.key);
    await waitFor(async () => !!(await ask(other, k.key).catch(() => undefined)), 1000, 50);
  });

  it('team over max_budget → budget_exceeded (spend in the DB); the budget period resets it', async () => {
    const team = await call<Team>('/team/new', { max_budget: 0.000001, budget_duration: '1s' });
    expect(team.budget_reset_at).not.toBeNull();
    const k = await generateKey(app, { team_id: team.team_id });
    await ask(app, k.key);
    await waitFor(
      async () => (await db.query<{ spend: number }>(`SELECT spend FROM "LiteLLM_TeamTable" WHERE team_id = $1`, [team.team_id]))[0].spend > 0,
      3000,
    );
    const err = await apiErrorOf(ask(app, k.key));
    expect(err.status).toBe(400);
    expect((err.error as { type?: string } | undefined)?.type ?? err.type).toBe('budget_exceeded');
    expect(err.message).toContain(`Team=${team.team_id}`);

    await sleep(1100);
    await app.proxy.app.get(BudgetResetService).run(new Date());
    const [row] = await db.query<{ spend: number; budget_reset_at: Date }>(`SELECT spend, budget_reset_at FROM "LiteLLM_TeamTable" WHERE team_id = $1`, [
      team.team_id,
    ]);
    expect(row.spend).toBe(0);
    expect(row.budget_reset_at.getTime()).toBeGreaterThan(Date.now() - 1000);
    await ask(app, k.key);
  });

  it('/team/member_add and /team/member_delete (docs example) update the team and the user', async () => {
    const team = await call<Team>('/team/new', { team_alias: 'members' });
    const added = await call<Team & { updated_users: Array<{ user_id: string }> }>('/team/member_add', {
      team_id: team.team_id,
      member: { role: 'user', user_id: 'krrish247652@berri.ai' },
    });
    expect(added.members_with_roles).toEqual([{ role: 'user', user_id: 'krrish247652@berri.ai', user_email: null }]);
    const [user] = await db.query<{ teams: string[] }>(`SELECT teams FROM "LiteLLM_UserTable" WHERE user_id = $1`, ['krrish247652@berri.ai']);
    expect(user.teams).toEqual([team.team_id]);
    const again = await app.fetch('/team/member_add', {
      method: 'POST',
      json: { team_id: team.team_id, member: [{ role: 'admin', user_id: 'krrish247652@berri.ai' }] },
    });
    expect(again.status).toBe(400);
    const badRole = await app.fetch('/team/member_add', { method: 'POST', json: { team_id: team.team_id, member: { role: 'boss', user_id: 'x' } } });
    expect((await expectErrorEnvelope(badRole, 400)).message).toContain('role must be "admin" or "user"');
    const removed = await call<Team>('/team/member_delete', { team_id: team.team_id, user_id: 'krrish247652@berri.ai' });
    expect(removed.members_with_roles).toEqual([]);
    const [after] = await db.query<{ teams: string[] }>(`SELECT teams FROM "LiteLLM_UserTable" WHERE user_id = $1`, ['krrish247652@berri.ai']);
    expect(after.teams).toEqual([]);
  });

  it('/team/delete removes the team and its keys', async () => {
    const team = await call<Team>('/team/new', {});
    const k = await generateKey(app, { team_id: team.team_id });
    await call('/team/delete', { team_ids: [team.team_id] });
    expect(await db.query(`SELECT 1 FROM "LiteLLM_TeamTable" WHERE team_id = $1`, [team.team_id])).toEqual([]);
    expect((await apiErrorOf(ask(app, k.key))).status).toBe(401);
    await call('/team/delete', { team_ids: [team.team_id] }, 404);
  });

  it('team rpm_limit: the second request of the minute across two keys of the team is a 429', async () => {
    const team = await call<Team>('/team/new', { rpm_limit: 1 });
    const a = await generateKey(app, { team_id: team.team_id });
    const b = await generateKey(app, { team_id: team.team_id });
    await ask(app, a.key);
    const err = await apiErrorOf(ask(app, b.key));
    expect(err.status).toBe(429);
    expect(err.message).toContain('team');
  });

  it('/user/new mints a key (docs example); /user/info, /user/list, /user/update, /user/delete', async () => {
    const u = await call<{ key: string; user_id: string; user_email: string; models: string[]; max_budget: number | null }>('/user/new', {
      user_email: 'krrish@berri.ai',
      user_role: 'internal_user',
      models: ['gpt-3.5-turbo', 'gpt-4'],
      send_invite_email: true,
    });
    expect(u.key).toMatch(/^sk-/);
    expect(u.user_email).toBe('krrish@berri.ai');
    expect(u.models).toEqual(['gpt-3.5-turbo', 'gpt-4']);
    await ask(app, u.key, 'gpt-4');
    expect((await apiErrorOf(ask(app, u.key, 'claude'))).status).toBe(401);
    const info = await call<{ user_id: string; user_info: { user_email: string }; keys: unknown[] }>(`/user/info?user_id=${encodeURIComponent(u.user_id)}`);
    expect(info.user_info.user_email).toBe('krrish@berri.ai');
    expect(info.keys).toHaveLength(1);
    const list = await call<{ users: Array<{ user_id: string }>; total: number }>('/user/list');
    expect(list.users.map((x) => x.user_id)).toContain(u.user_id);
    await call('/user/update', { user_id: u.user_id, models: [] });
    await ask(app, u.key, 'claude');
    await call('/user/delete', { user_ids: [u.user_id] });
    expect((await apiErrorOf(ask(app, u.key))).status).toBe(401);
  });

  it("a user's max_budget holds for every key of the user", async () => {
    const u = await call<{ key: string; user_id: string }>('/user/new', { user_id: 'budget-user', max_budget: 0.000001 });
    await ask(app, u.key);
    await waitFor(async () => (await db.query<{ spend: number }>(`SELECT spend FROM "LiteLLM_UserTable" WHERE user_id = $1`, [u.user_id]))[0].spend > 0, 3000);
    const second = await generateKey(app, { user_id: u.user_id });
    const err = await apiErrorOf(ask(app, second.key));
    expect(err).toBeInstanceOf(APIError);
    expect(err.status).toBe(400);
    expect(err.message).toContain('User=budget-user over budget');
  });

  it("a user's change (models, max_parallel_requests) holds on a second instance within ~1 s", async () => {
    const u = await call<{ key: string; user_id: string }>('/user/new', { user_id: 'moving-user', models: [] });
    await ask(other, u.key, 'claude');
    await call('/user/update', { user_id: u.user_id, models: ['gpt-4'] });
    await waitFor(async () => (await apiErrorOf(ask(other, u.key, 'claude')).catch(() => undefined))?.status === 401, 1000, 50);
    await ask(other, u.key, 'gpt-4');
    const bad = await app.fetch('/user/update', { method: 'POST', json: { user_id: u.user_id, max_parallel_requests: 'two' } });
    expect((await expectErrorEnvelope(bad, 400)).param).toBe('max_parallel_requests');
  });
});
