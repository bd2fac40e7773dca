import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope, uniqueTag, waitFor } from './helpers/sdk.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Issue 16, item 5: every admin change lands in LiteLLM's LiteLLM_AuditLog with who, when and
// before/after values, secrets masked; GET /audit reads it back with filters.

const MODEL_ID = 'google/gemma-4-31b';
const UPSTREAM_SECRET = 'sk-vllm-upstream-secret-audit-0001';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const MASTER_ACTOR = { changed_by: 'master key', changed_by_api_key: `sk-...${MASTER_KEY.slice(-4)}` };

type Json = Record<string, unknown>;
interface AuditRow {
  id: string;
  updated_at: Date;
  changed_by: string;
  changed_by_api_key: string;
  action: string;
  table_name: string;
  object_id: string;
  before_value: Json | null;
  updated_values: Json | null;
}

describe('audit trail (LiteLLM_AuditLog)', () => {
  let mock: MockVllm;
  let db: TestDatabase;
  let app: TestProxy;

  beforeAll(async () => {
    [mock, db] = await Promise.all([startMockVllm({ model: MODEL_ID }), createTestDatabase()]);
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { STORE_MODEL_IN_DB: 'True' },
      models: [{ model_name: 'gemma', litellm_params: { model: `openai/${MODEL_ID}`, api_base: mock.url, api_key: UPSTREAM_SECRET } }],
    });
  });
  afterAll(async () => {
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  const post = async (path: string, json: unknown, init: { key?: string | null; headers?: Record<string, string> } = {}): Promise<Json> => {
    const res = await app.fetch(path, { method: 'POST', json, ...init });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Json;
  };
  /** The rows, read at their source. */
  const rows = (objectId: string) => db.query<AuditRow>(`SELECT * FROM "LiteLLM_AuditLog" WHERE object_id = $1 ORDER BY updated_at, action`, [objectId]);
  const everything = async () => JSON.stringify(await db.query(`SELECT * FROM "LiteLLM_AuditLog"`));

  it('records every key change with the master key as actor, before/after values, no plain key and no full hash in the values', async () => {
    const tag = uniqueTag('audit');
    const created = await post('/key/generate', {
      key_alias: `a-${tag}`,
      models: ['gemma'],
      max_budget: 5,
      metadata: { owner: tag, api_key: 'sk-leaky-metadata-secret' },
    });
    const key = created.key as string;
    const token = sha256(key);
    await post('/key/update', { key, max_budget: 7 });
    await post('/key/block', { key });
    await post('/key/unblock', { key });
    const regenerated = await post('/key/regenerate', { key });
    const newToken = sha256(regenerated.key as string);
    await post('/key/delete', { keys: [regenerated.key] });

    const first = await rows(token);
    expect(first.map((r) => r.action)).toEqual(['created', 'updated', 'blocked', 'unblocked']);
    const second = await rows(newToken);
    expect(second.map((r) => r.action)).toEqual(['rotated', 'deleted']);
    for (const r of [...first, ...second]) {
      expect(r).toMatchObject({ ...MASTER_ACTOR, table_name: 'LiteLLM_VerificationToken' });
      expect(Date.now() - r.updated_at.getTime()).toBeLessThan(60_000);
    }
    const [create, update, block, unblock] = first;
    expect(create.before_value).toBeNull();
    expect(create.updated_values).toMatchObject({ key_alias: `a-${tag}`, models: ['gemma'], max_budget: 5, key_name: `sk-...${key.slice(-4)}` });
    expect((create.updated_values!.metadata as Json).owner).toBe(tag);
    expect((create.updated_values!.metadata as Json).api_key).toBe('********');
    expect(update.before_value).toMatchObject({ max_budget: 5 });
    expect(update.updated_values).toMatchObject({ max_budget: 7 });
    expect(block.before_value!.blocked).toBeFalsy(); // null: LiteLLM's column is nullable
    expect(block.updated_values).toMatchObject({ blocked: true });
    expect(unblock.updated_values).toMatchObject({ blocked: false });
    const [rotate, del] = second;
    expect(rotate.before_value).toMatchObject({ token: `${token.slice(0, 8)}…` });
    expect(rotate.updated_values).toMatchObject({ token: `${newToken.slice(0, 8)}…`, key_alias: `a-${tag}` });
    expect(del.before_value).toMatchObject({ key_alias: `a-${tag}`, max_budget: 7 });
    expect(del.updated_values).toBeNull();

    const all = await everything();
    for (const secret of [key, regenerated.key as string, MASTER_KEY, 'sk-leaky-metadata-secret']) expect(all).not.toContain(secret);
    const values = JSON.stringify([...first, ...second].map((r) => [r.before_value, r.updated_values]));
    expect(values).not.toContain(token);
    expect(values).not.toContain(newToken);
  });

  it('records model changes with the backend api_key masked, and nothing for reads or refused changes', async () => {
    const model = await post('/model/new', {
      model_name: 'live',
      litellm_params: { model: `openai/${MODEL_ID}`, api_base: mock.url, api_key: UPSTREAM_SECRET },
      model_info: { input_cost_per_token: 0.001 },
    });
    const id = (model.model_info as Json).id as string;
    await post('/model/update', { model_id: id, model_info: { input_cost_per_token: 0.002 } });
    await post('/model/delete', { id });
    const before = (await db.query(`SELECT count(*)::int AS n FROM "LiteLLM_AuditLog"`))[0] as { n: number };
    expect((await app.fetch('/model/info')).status).toBe(200);
    expect((await app.fetch('/key/update', { method: 'POST', json: { key: 'sk-no-such-key-here', max_budget: 1 } })).status).toBe(404);
    expect((await db.query(`SELECT count(*)::int AS n FROM "LiteLLM_AuditLog"`))[0]).toEqual(before);

    const audit = await rows(id);
    expect(audit.map((r) => r.action)).toEqual(['created', 'updated', 'deleted']);
    for (const r of audit) expect(r).toMatchObject({ ...MASTER_ACTOR, table_name: 'LiteLLM_ProxyModelTable' });
    expect(audit[0].updated_values).toMatchObject({ model_name: 'live', litellm_params: { api_key: '********', api_base: mock.url } });
    expect(audit[1].before_value).toMatchObject({ model_info: { input_cost_per_token: 0.001 } });
    expect(audit[1].updated_values).toMatchObject({ model_info: { input_cost_per_token: 0.002 } });
    expect(audit[2].updated_values).toBeNull();
    expect(await everything()).not.toContain(UPSTREAM_SECRET);
  });

  it('records team and user changes, and the keys deleted with their team', async () => {
    const team = await post('/team/new', { team_alias: 'audited-team', max_budget: 5 });
    const teamId = team.team_id as string;
    await post('/team/update', { team_id: teamId, max_budget: 7 });
    await post('/team/block', { team_id: teamId });
    await post('/team/unblock', { team_id: teamId });
    const key = await post('/key/generate', { team_id: teamId });
    const user = await post('/user/new', { user_email: 'audited@example.com', auto_create_key: false });
    await post('/user/update', { user_id: user.user_id, max_budget: 3 });
    await post('/team/delete', { team_ids: [teamId] });
    await post('/user/delete', { user_ids: [user.user_id] });

    const teamRows = await rows(teamId);
    expect(teamRows.map((r) => r.action)).toEqual(['created', 'updated', 'blocked', 'unblocked', 'deleted']);
    for (const r of teamRows) expect(r).toMatchObject({ ...MASTER_ACTOR, table_name: 'LiteLLM_TeamTable' });
    expect(teamRows[1].before_value).toMatchObject({ max_budget: 5 });
    expect(teamRows[1].updated_values).toMatchObject({ max_budget: 7 });
    expect((await rows(key.token as string)).map((r) => r.action)).toEqual(['created', 'deleted']);
    const userRows = await rows(user.user_id as string);
    expect(userRows.map((r) => [r.table_name, r.action])).toEqual([
      ['LiteLLM_UserTable', 'created'],
      ['LiteLLM_UserTable', 'updated'],
      ['LiteLLM_UserTable', 'deleted'],
    ]);
  });

  it('records POST /config/reload with the deployments before and after', async () => {
    const path = join(app.dir, 'config.yaml');
    writeFileSync(
      path,
      JSON.stringify({
        model_list: [{ model_name: 'reloaded', litellm_params: { model: `openai/${MODEL_ID}`, api_base: mock.url, api_key: UPSTREAM_SECRET } }],
      }),
    );
    await post('/config/reload', {});
    const [r] = await db.query<AuditRow>(`SELECT * FROM "LiteLLM_AuditLog" WHERE action = 'reloaded'`);
    expect(r).toMatchObject({ ...MASTER_ACTOR, table_name: 'config_file', object_id: path });
    expect(JSON.stringify(r.before_value)).toContain('"gemma"');
    expect(JSON.stringify(r.updated_values)).toContain('"reloaded"');
    expect(JSON.stringify(r)).not.toContain(UPSTREAM_SECRET);
  });

  it('names a UI session as "ui:admin" and the session, never its cookie', async () => {
    const login = await app.fetch('/ui/login', { method: 'POST', key: null, json: { username: 'admin', password: MASTER_KEY } });
    expect(login.status).toBe(200);
    const cookie = login.headers.getSetCookie()[0].split(';')[0];
    const created = await post('/key/generate', { key_alias: uniqueTag('ui') }, { key: null, headers: { cookie, 'x-ui-session': '1' } });
    const [r] = await rows(sha256(created.key as string));
    expect(r.changed_by).toBe('ui:admin');
    expect(r.changed_by_api_key).toMatch(/^ui-session:[0-9a-f]{12}$/);
    expect(JSON.stringify(r)).not.toContain(cookie.split('=')[1]);
  });

  it('an entry that cannot be written fails the change with nothing changed; a reload is recorded once the database takes it', async () => {
    const reloads = async () => (await db.query(`SELECT count(*)::int AS n FROM "LiteLLM_AuditLog" WHERE action = 'reloaded'`))[0] as { n: number };
    const before = (await reloads()).n;
    await db.query(`ALTER TABLE "LiteLLM_AuditLog" ADD CONSTRAINT refuse_all CHECK (false) NOT VALID`);
    try {
      const alias = uniqueTag('refused');
      const err = await expectErrorEnvelope(await app.fetch('/key/generate', { method: 'POST', json: { key_alias: alias } }), 500);
      expect(err.message).toMatch(/change was not made: the audit trail could not record it/);
      expect(await db.query(`SELECT 1 FROM "LiteLLM_VerificationToken" WHERE key_alias = $1`, [alias])).toEqual([]);
      await post('/config/reload', {}); // outside the database: done, its entry retried
    } finally {
      await db.query(`ALTER TABLE "LiteLLM_AuditLog" DROP CONSTRAINT refuse_all`);
    }
    await waitFor(async () => (await reloads()).n === before + 1, 8000, 100);
  });

  it('GET /audit pages and filters by table, object, action, actor and date', async () => {
    const tag = uniqueTag('filter');
    const created = await post('/key/generate', { key_alias: `f-${tag}` });
    const token = sha256(created.key as string);
    await post('/key/update', { key: created.key, max_budget: 3 });
    const get = async (query: string) => {
      const res = await app.fetch(`/audit?${query}`);
      expect(res.status, await res.clone().text()).toBe(200);
      return (await res.json()) as { audit_logs: Json[]; total: number; page: number; page_size: number; total_pages: number };
    };
    const byObject = await get(`object_id=${token}`);
    expect(byObject.audit_logs.map((r) => r.action)).toEqual(['updated', 'created']); // newest first
    expect(byObject.total).toBe(2);
    expect(byObject.audit_logs[0]).toMatchObject({ ...MASTER_ACTOR, table_name: 'LiteLLM_VerificationToken', object_id: token });
    expect(typeof byObject.audit_logs[0].updated_at).toBe('string');
    // A plain key names its hash.
    expect((await get(`object_id=${created.key}`)).total).toBe(2);
    expect((await get(`object_id=${token}&action=created`)).audit_logs).toHaveLength(1);
    expect((await get('table_name=LiteLLM_ProxyModelTable')).audit_logs.every((r) => r.table_name === 'LiteLLM_ProxyModelTable')).toBe(true);
    expect((await get('changed_by=ui:admin')).audit_logs.every((r) => r.changed_by === 'ui:admin')).toBe(true);
    expect((await get(`object_id=${token}&start_date=2999-01-01`)).total).toBe(0);
    expect((await get(`object_id=${token}&end_date=2000-01-01`)).total).toBe(0);
    const paged = await get('page=2&page_size=1');
    expect(paged).toMatchObject({ page: 2, page_size: 1 });
    expect(paged.audit_logs).toHaveLength(1);
    expect(paged.total_pages).toBe(paged.total);

    const bad = await expectErrorEnvelope(await app.fetch('/audit?page_size=lots'), 400);
    expect(bad.param).toBe('page_size');
    expect((await expectErrorEnvelope(await app.fetch('/audit?start_date=yesterday'), 400)).param).toBe('start_date');
    const virtual = (await post('/key/generate', {})).key as string;
    await expectErrorEnvelope(await app.fetch('/audit', { key: virtual }), 403);
  });

  it('documents GET /audit in /openapi.json with its answer and errors', async () => {
    const doc = (await (await app.fetch('/openapi.json', { key: null })).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
      components: { schemas: Record<string, { properties: Record<string, { type?: string }> }> };
    };
    const op = doc.paths['/audit'].get;
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '403']);
    expect(op.security).toEqual([{ bearer: [] }, { 'x-litellm-api-key': [] }, { 'api-key': [] }]);
    const entry = doc.components.schemas.AuditLogEntryDto.properties;
    expect(entry.updated_at.type).toBe('string');
    expect(entry.action.type).toBe('string');
    // Every keyed route documents its answer (health and the UI shell belong to other work).
    const undocumented = Object.entries(doc.paths)
      .filter(([path]) => !path.startsWith('/health') && !path.startsWith('/ui'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, o]) => ({ where: `${method} ${path}`, o })))
      .filter(({ o }) => !Object.entries(o.responses).some(([code, r]) => code.startsWith('2') && (r as { content?: unknown }).content))
      .map(({ where }) => where);
    expect(undocumented).toEqual([]);
  });
});
