import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope, uniqueTag } from './helpers/sdk.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// The admin API's contract as LiteLLM users meet it: LiteLLM-shaped bodies and query strings are
// accepted (unknown fields ignored), wrong types of known fields are refused naming the field,
// answers have LiteLLM's shapes, and /openapi.json is typed, safe and complete.

const MODEL_ID = 'mock/admin-model';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

type Json = Record<string, unknown>;

describe('admin API contract', () => {
  let mock: MockVllm;
  let db: TestDatabase;
  let app: TestProxy;

  beforeAll(async () => {
    [mock, db] = await Promise.all([startMockVllm({ model: MODEL_ID }), createTestDatabase()]);
    const params = { model: `openai/${MODEL_ID}`, api_base: mock.url };
    app = await startTestProxy({
      databaseUrl: db.url,
      models: [
        { model_name: 'a', litellm_params: params },
        { model_name: 'b', litellm_params: params, model_info: { access_groups: ['group-x'] } },
      ],
    });
  });
  afterAll(async () => {
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  const post = (path: string, json: unknown, key?: string) => app.fetch(path, { method: 'POST', json, key });
  async function ok(res: Response): Promise<Json> {
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Json;
  }
  const row = async (token: string) => (await db.query<Json>(`SELECT * FROM "LiteLLM_VerificationToken" WHERE token = $1`, [token]))[0];

  describe('LiteLLM-shaped requests are accepted', () => {
    it("/key/generate with every field of LiteLLM's GenerateKeyRequest stores what has a column and answers it", async () => {
      const tag = uniqueTag('litellm');
      // LiteLLM's documented /key/generate example plus the rest of GenerateKeyRequest (model names ours).
      const body = {
        models: ['a', 'b'],
        aliases: { 'my-model': 'a' },
        config: {},
        spend: 0,
        duration: '20m',
        key_alias: `alias-${tag}`,
        user_id: `user-${tag}`,
        team_id: `team-${tag}`,
        budget_id: null,
        max_budget: null,
        soft_budget: 10,
        max_parallel_requests: 4,
        metadata: { user: 'ishaan@berri.ai' },
        tags: ['prod', 'team-a'],
        tpm_limit: 1000,
        rpm_limit: 10,
        budget_duration: '30d',
        allowed_cache_controls: ['no-cache'],
        permissions: { allow_pii_controls: false },
        model_max_budget: { a: { budget_limit: 0.0005, time_period: '30d' } },
        model_rpm_limit: { a: 5 },
        model_tpm_limit: { a: 500 },
        guardrails: ['none'],
        blocked: false,
        send_invite_email: false,
        key_type: 'llm_api',
        allowed_routes: ['/chat/completions'],
        enforced_params: ['user'],
        organization_id: null,
        object_permission: { vector_stores: [] },
        some_future_field: { anything: true },
      };
      const k = await ok(await post('/key/generate', body));
      expect(k).toMatchObject({
        key_alias: body.key_alias,
        aliases: body.aliases,
        config: {},
        permissions: body.permissions,
        model_max_budget: body.model_max_budget,
        allowed_cache_controls: ['no-cache'],
        budget_id: null,
        spend: 0,
        blocked: false,
      });
      expect(k.metadata).toMatchObject({ user: 'ishaan@berri.ai', tags: ['prod', 'team-a'], model_rpm_limit: { a: 5 }, model_tpm_limit: { a: 500 } });
      const r = await row(k.token_id as string);
      expect(r).toMatchObject({
        aliases: body.aliases,
        permissions: body.permissions,
        model_max_budget: body.model_max_budget,
        allowed_cache_controls: ['no-cache'],
        max_parallel_requests: 4,
      });
      expect((r.metadata as Json).tags).toEqual(['prod', 'team-a']);

      // The Python client's KeysManagementClient.generate sends aliases, spend, config and budget_id when set.
      const py = await ok(
        await post('/key/generate', {
          models: ['a'],
          aliases: { x: 'a' },
          spend: 1.5,
          config: { c: 1 },
          budget_id: `budget-${tag}`,
          key_alias: null,
          team_id: null,
          user_id: null,
          duration: null,
          metadata: null,
        }),
      );
      expect(await row(py.token_id as string)).toMatchObject({ spend: 1.5, config: { c: 1 }, budget_id: `budget-${tag}`, aliases: { x: 'a' }, metadata: {} });
    });

    it("LiteLLM's Python client (KeysManagementClient) works as it sends: generate with api_key, list by key_hash, delete with key_aliases: null", async () => {
      const tag = uniqueTag('pyclient');
      // generate(api_key=..., models=..., aliases=..., spend=..., duration=..., key_alias=..., budget_id=..., config=...)
      const k = await ok(
        await post('/key/generate', {
          api_key: 'sk-1234',
          models: ['a'],
          aliases: { fast: 'a' },
          spend: 0,
          duration: '24h',
          key_alias: `py-${tag}`,
          budget_id: `b-${tag}`,
          config: {},
        }),
      );
      const other = await ok(await post('/key/generate', {}));
      // list(key_hash=..., organization_id=..., return_full_object=True, include_team_keys=False)
      const listed = await ok(await app.fetch(`/key/list?key_hash=${k.token_id}&return_full_object=true&include_team_keys=false`));
      expect((listed.keys as Json[]).map((x) => x.token)).toEqual([k.token_id]);
      expect(listed.total_count).toBe(1);
      const none = await ok(await app.fetch(`/key/list?organization_id=org-${tag}`));
      expect(none.keys).toEqual([]);
      // delete(keys=[...]) sends key_aliases: null.
      const del = await ok(await post('/key/delete', { keys: [k.key], key_aliases: null }));
      expect(del.deleted_keys).toEqual([k.key]);
      expect(await row(other.token_id as string)).toBeDefined();
    });

    it('accepts null wherever LiteLLM does (models, metadata, max_budget, aliases, config, tags, ...)', async () => {
      const k = await ok(
        await post('/key/generate', {
          models: null,
          metadata: null,
          max_budget: null,
          aliases: null,
          config: null,
          permissions: null,
          model_max_budget: null,
          tags: null,
          rpm_limit: null,
          tpm_limit: null,
          budget_duration: null,
          allowed_cache_controls: null,
          blocked: null,
        }),
      );
      expect(await row(k.token_id as string)).toMatchObject({ models: [], metadata: {}, max_budget: null, aliases: {}, config: {} });
      const up = await ok(await post('/key/update', { key: k.key, models: null, metadata: null, max_budget: null, aliases: null, unknown_thing: 1 }));
      expect(up.models).toEqual([]);
    });

    it('accepts and ignores unknown query parameters', async () => {
      const k = await ok(await post('/key/generate', {}));
      for (const path of [
        '/key/list?include_team_keys=true&return_full_object=true&sort_by=created_at',
        `/key/info?key=${k.token_id}&foo=bar`,
        '/spend/logs?user_id=nobody&summarize=false',
        '/global/spend/report?group_by=model&something=1',
        '/model/info?litellm_model_id=&x=1',
      ]) {
        const res = await app.fetch(path);
        expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
      }
    });
  });

  describe('wrong types of known fields are refused with a clear message', () => {
    it.each<[Json, string, RegExp]>([
      [{ max_budget: 'lots' }, 'max_budget', /^max_budget must be a number \(dollars\), got "lots"/],
      [{ rpm_limit: 1.5 }, 'rpm_limit', /rpm_limit must be an integer.*got 1\.5/],
      [{ models: 'a' }, 'models', /models must be a list of model names.*got "a"/],
      [{ metadata: [1] }, 'metadata', /metadata must be an object.*got \[1\]/],
      [{ tags: 'prod' }, 'tags', /tags must be a list of strings.*got "prod"/],
      [{ aliases: 'x' }, 'aliases', /aliases must be an object.*got "x"/],
      [{ blocked: 'yes' }, 'blocked', /blocked must be true or false.*got "yes"/],
      [{ duration: '5x' }, 'duration', /duration must be a duration like 30s.*got "5x"/],
      [{ max_budget: -1 }, 'max_budget', /max_budget must not be negative.*got -1/],
    ])('%j → 400 naming %s', async (body, param, message) => {
      const err = await expectErrorEnvelope(await post('/key/generate', body), 400);
      expect(err.message).toMatch(message);
      expect(err.param).toBe(param);
    });

    it('a query parameter of the wrong type names it', async () => {
      const err = await expectErrorEnvelope(await app.fetch('/key/list?size=lots'), 400);
      expect(err.message).toMatch(/size must be an integer/);
      expect(err.param).toBe('size');
    });

    it('unknown model names are refused with the list of known ones', async () => {
      const err = await expectErrorEnvelope(await post('/key/generate', { models: ['a', 'gpt-4-nope'] }), 400);
      expect(err.message).toMatch(/gpt-4-nope/);
      expect(err.message).toMatch(/"a".*"b"/);
      expect(err.param).toBe('models');
      const k = await ok(await post('/key/generate', { models: ['a'] }));
      const up = await expectErrorEnvelope(await post('/key/update', { key: k.key, models: ['nope'] }), 400);
      expect(up.message).toMatch(/nope/);
      // LiteLLM's special names and access groups (model_info.access_groups) are known.
      await ok(await post('/key/generate', { models: ['all-proxy-models'] }));
      await ok(await post('/key/generate', { models: ['group-x'] }));
    });
  });

  describe("answers have LiteLLM's shapes", () => {
    it('/key/info: `key` is what was asked for, `info` has no `token`', async () => {
      const k = await ok(await post('/key/generate', { key_alias: `info-${uniqueTag('k')}` }));
      const byHash = await ok(await app.fetch(`/key/info?key=${k.token_id}`));
      expect(byHash.key).toBe(k.token_id);
      expect(byHash.info).not.toHaveProperty('token');
      expect(byHash.info).toMatchObject({ key_alias: k.key_alias, key_name: k.key_name });
      const own = await ok(await app.fetch('/key/info', { key: k.key as string }));
      expect(own.key).toBe(k.token_id);
      expect(own.info).not.toHaveProperty('token');
    });

    it('/key/update answers with `key`', async () => {
      const k = await ok(await post('/key/generate', {}));
      const up = await ok(await post('/key/update', { key: k.key, max_budget: 3 }));
      expect(up.key).toBe(k.key);
      expect(up.max_budget).toBe(3);
    });

    it('/key/delete with one unknown key deletes the known ones, as LiteLLM does; all unknown is a 404', async () => {
      const k = await ok(await post('/key/generate', {}));
      const unknown = `sk-${uniqueTag('unknown')}`;
      const res = await ok(await post('/key/delete', { keys: [k.key, unknown] }));
      expect(res.deleted_keys).toEqual([k.key]);
      expect(res.not_found_keys).toEqual([unknown]);
      expect(await row(k.token_id as string)).toBeUndefined();
      await expectErrorEnvelope(await post('/key/delete', { keys: [unknown] }), 404);
    });

    it('/spend/logs returns every row for the filter (not 100), and pages when asked', async () => {
      const apiKey = sha256(uniqueTag('many'));
      await db.query(
        `INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, "startTime", "endTime", model, model_group, status)
         SELECT 'many-' || g || '-' || $1, 'acompletion', $1, 0.01, now() - g * interval '1 second', now(), 'm', 'a', 'success' FROM generate_series(1, 250) g`,
        [apiKey],
      );
      const all = (await (await app.fetch(`/spend/logs?api_key=${apiKey}`)).json()) as Json[];
      expect(all).toHaveLength(250);
      expect(all.reduce((s, r) => s + (r.spend as number), 0)).toBeCloseTo(2.5, 6);
      const page = (await (await app.fetch(`/spend/logs?api_key=${apiKey}&page=2&page_size=100`)).json()) as Json[];
      expect(page.map((r) => r.request_id)).toEqual(all.slice(100, 200).map((r) => r.request_id));
    });
  });

  describe('/openapi.json', () => {
    interface Schema {
      type?: string;
      nullable?: boolean;
      items?: Schema;
      properties?: Record<string, Schema>;
      additionalProperties?: unknown;
      $ref?: string;
      oneOf?: Schema[];
      allOf?: Schema[];
      example?: unknown;
    }
    interface Operation {
      security?: Array<Record<string, unknown>>;
      responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
    }
    let spec: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema>; securitySchemes: Record<string, Json> } };
    beforeAll(async () => {
      spec = (await (await app.fetch('/openapi.json', { key: null })).json()) as typeof spec;
    });

    it('types every DTO field: no scalar typed `object`, arrays have item types', () => {
      const bad: string[] = [];
      for (const [name, schema] of Object.entries(spec.components.schemas)) {
        for (const [prop, s] of Object.entries(schema.properties ?? {})) {
          if (s.$ref || s.oneOf || s.allOf) continue;
          if (!s.type) bad.push(`${name}.${prop}: no type`);
          else if (s.type === 'object' && s.additionalProperties === undefined && !s.properties) bad.push(`${name}.${prop}: object`);
          else if (s.type === 'array' && !s.items) bad.push(`${name}.${prop}: array of nothing`);
        }
      }
      expect(bad).toEqual([]);
      const gen = spec.components.schemas.GenerateKeyDto.properties!;
      expect(gen.key_alias).toMatchObject({ type: 'string', nullable: true });
      expect(gen.max_budget).toMatchObject({ type: 'number', nullable: true });
      expect(gen.rpm_limit).toMatchObject({ type: 'integer', nullable: true });
      expect(gen.duration).toMatchObject({ type: 'string', nullable: true });
    });

    it('has no fixed sk- key in any example', () => {
      const examples: string[] = [];
      const walk = (v: unknown, inExample: boolean): void => {
        if (typeof v === 'string' && inExample && /sk-[A-Za-z0-9_-]{4,}/.test(v)) examples.push(v);
        else if (v && typeof v === 'object')
          for (const [k, c] of Object.entries(v)) walk(c, inExample || k === 'example' || k === 'examples' || k === 'default');
      };
      walk(spec, false);
      expect(examples).toEqual([]);
    });

    it("the /key/generate example works as written, every time (Swagger's Try it out sends it)", async () => {
      const example = Object.fromEntries(
        Object.entries(spec.components.schemas.GenerateKeyDto.properties!)
          .filter(([, s]) => 'example' in s)
          .map(([k, s]) => [k, s.example]),
      );
      expect(Object.keys(example).length).toBeGreaterThan(10);
      const first = await ok(await post('/key/generate', example));
      const second = await ok(await post('/key/generate', example));
      expect(first.key).not.toBe(second.key);
    });

    it('declares bearer (no JWT), x-litellm-api-key and api-key, and every admin route uses all three with response and error schemas', () => {
      const schemes = spec.components.securitySchemes;
      expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(schemes.bearer).not.toHaveProperty('bearerFormat');
      expect(schemes['x-litellm-api-key']).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-litellm-api-key' });
      expect(schemes['api-key']).toMatchObject({ type: 'apiKey', in: 'header', name: 'api-key' });
      const admin = /^\/(key|model|model_group|v1\/model|spend|global|config)\//;
      const problems: string[] = [];
      let routes = 0;
      for (const [path, ops] of Object.entries(spec.paths)) {
        if (!admin.test(path)) continue;
        for (const [method, op] of Object.entries(ops)) {
          routes++;
          const where = `${method.toUpperCase()} ${path}`;
          const names = (op.security ?? []).flatMap((s) => Object.keys(s)).sort();
          if (names.join() !== 'api-key,bearer,x-litellm-api-key') problems.push(`${where}: security ${names.join()}`);
          const okSchema = op.responses['200']?.content?.['application/json']?.schema;
          if (!okSchema) problems.push(`${where}: no 200 schema`);
          // Any key may read model info (403 does not apply there); every other admin route refuses a virtual key.
          const statuses = /model(_group)?\/info/.test(path) ? ['401'] : ['401', '403'];
          for (const status of statuses) {
            const err = op.responses[status]?.content?.['application/json']?.schema;
            if (err?.$ref !== '#/components/schemas/ErrorResponse') problems.push(`${where}: no ${status} ErrorResponse`);
          }
        }
      }
      expect(routes).toBeGreaterThan(15);
      expect(problems).toEqual([]);
      expect(spec.components.schemas.ErrorResponse.properties?.error).toBeDefined();
    });
  });
});
