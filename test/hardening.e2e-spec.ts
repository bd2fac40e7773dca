import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { expectErrorEnvelope } from './helpers/sdk.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Surfaces a hostile or curious client can reach: what the logs keep, which paths route where,
// what /model/info and /health/readiness reveal, what a flood of made-up keys costs the database.

const MODEL_ID = 'mock/hardening-model';

/** Distinct markers: none of them may appear anywhere in an answer or a log line. */
const SECRET = {
  apiKey: 'S3CR3T-upstream-api-key-1',
  urlUser: 'S3CR3T-url-user-2',
  urlPass: 'S3CR3T-url-pass-3',
  urlQuery: 'S3CR3T-url-query-4',
  headerAuth: 'S3CR3T-header-bearer-5',
  headerKey: 'S3CR3T-header-key-6',
  nested: 'S3CR3T-nested-credential-7',
  deep: 'S3CR3T-deep-password-8',
  infoToken: 'S3CR3T-model-info-token-9',
  plainValue: 'S3CR3T-plain-bearer-10',
  cfgUser: 'S3CR3T-config-user-11',
  cfgPass: 'S3CR3T-config-pass-12',
  cfgQuery: 'S3CR3T-config-query-13',
};

interface GeneratedKey {
  key: string;
  token_id: string;
}

describe('hardened surfaces', () => {
  let db: TestDatabase;
  let mock: MockVllm;
  let app: TestProxy;
  const lines: string[] = [];

  beforeAll(async () => {
    [db, mock] = await Promise.all([createTestDatabase(), startMockVllm({ model: MODEL_ID })]);
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    const base = new URL(mock.url);
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { STORE_MODEL_IN_DB: 'True', METRICS_TOKEN: 'scrape-token-hardening' },
      logger: pino({ level: 'debug' }, sink),
      models: [
        { model_name: 'plain', litellm_params: { model: `openai/${MODEL_ID}`, api_base: mock.url } },
        {
          model_name: 'cfg-creds',
          litellm_params: {
            model: `openai/${MODEL_ID}`,
            api_base: `http://${SECRET.cfgUser}:${SECRET.cfgPass}@${base.host}/v1?api_key=${SECRET.cfgQuery}&region=eu`,
            api_key: SECRET.apiKey,
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  async function generate(body: Record<string, unknown> = {}): Promise<GeneratedKey> {
    const res = await app.fetch('/key/generate', { method: 'POST', json: body });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as GeneratedKey;
  }

  describe('keys in paths never reach the log', () => {
    it('POST /key/{key}/regenerate logs the path with the key masked', async () => {
      const k = await generate();
      lines.length = 0;
      const res = await app.fetch(`/key/${k.key}/regenerate`, { method: 'POST', json: {} });
      expect(res.status, await res.clone().text()).toBe(200);
      const fresh = (await res.json()) as GeneratedKey;
      // Unknown routes and query strings carrying keys too.
      await app.fetch(`/no/such/${fresh.key}/route`);
      await app.fetch(`/key/${encodeURIComponent(fresh.key)}/regenerate`, { method: 'POST', json: {} });
      await app.fetch(`/key/info?key=${fresh.key}`);
      await new Promise((r) => setTimeout(r, 50));
      const log = lines.join('\n');
      expect(log).toContain(`/key/sk-...${k.key.slice(-4)}/regenerate`);
      for (const plain of [k.key, fresh.key, k.key.slice(3), fresh.key.slice(3)]) expect(log).not.toContain(plain);
    });
  });

  describe('routes are case-sensitive and strict', () => {
    const notFound = async (path: string, init: RequestInit & { key?: string | null; json?: unknown } = {}) => {
      const res = await app.fetch(path, init);
      const err = await expectErrorEnvelope(res, 404);
      expect(err.type).toBe('not_found_error');
    };

    it('a path that differs in case or by a trailing slash never reaches the handler (404, OpenAI envelope)', async () => {
      const k = await generate();
      const upstream = mock.requests.length;
      for (const path of [
        '/METRICS',
        '/Metrics',
        '/metrics/',
        '/Key/Info',
        '/key/info/',
        '/HEALTH/readiness',
        '/health/readiness/',
        '/V1/models',
        '/v1/models/',
        '/Model/Info',
      ]) {
        await notFound(`${path}${path.toLowerCase().includes('key/info') ? `?key=${k.key}` : ''}`);
      }
      for (const path of ['/V1/chat/completions', '/v1/chat/completions/', '/v1/Chat/Completions']) {
        await notFound(path, { method: 'POST', json: { model: 'plain', messages: [{ role: 'user', content: 'x' }] } });
      }
      await notFound('/KEY/GENERATE', { method: 'POST', json: {} });
      expect(mock.requests.length).toBe(upstream);
    });

    it('the exact paths still work: metrics, key info, health, /v1, docs', async () => {
      expect((await app.fetch('/metrics', { key: 'scrape-token-hardening' })).status).toBe(200);
      const k = await generate();
      expect((await app.fetch(`/key/info?key=${k.key}`)).status).toBe(200);
      expect((await app.fetch('/health/readiness', { key: null })).status).toBe(200);
      expect((await app.fetch('/health/liveliness', { key: null })).status).toBe(200);
      expect((await app.fetch('/v1/models')).status).toBe(200);
      const chat = await app.fetch('/v1/chat/completions', {
        method: 'POST',
        json: { model: 'plain', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 },
      });
      expect(chat.status).toBe(200);
      expect((await app.fetch('/docs', { key: null })).status).toBe(200);
      // Swagger registers both itself.
      expect((await app.fetch('/docs/', { key: null })).status).toBe(200);
      expect((await app.fetch('/openapi.json', { key: null })).status).toBe(200);
    });

    it('the UI: /ui redirects to /ui/, deep links and assets are served, /UI/ is not', async () => {
      const redirect = await app.fetch('/ui?x=1', { key: null, redirect: 'manual' });
      expect(redirect.status).toBe(301);
      expect(redirect.headers.get('location')).toBe('/ui/?x=1');
      const shell = await app.fetch('/ui/', { key: null });
      // 200 with a built UI (npm test builds it), 503 saying so without one; never a 404.
      expect([200, 503]).toContain(shell.status);
      const html = await shell.text();
      const deep = await app.fetch('/ui/key-management', { key: null });
      expect(deep.status).toBe(shell.status);
      const asset = /\/ui\/assets\/([\w.-]+)/.exec(html)?.[1];
      if (shell.status === 200) {
        expect(asset, html).toBeDefined();
        expect((await app.fetch(`/ui/assets/${asset}`, { key: null })).status).toBe(200);
      }
      await notFound('/UI/', { key: null });
    });
  });

  describe('/model/info masks every secret', () => {
    it('at any depth, in URLs and in values, for the master key and for a virtual key', async () => {
      const created = await app.fetch('/model/new', {
        method: 'POST',
        json: {
          model_name: 'db-creds',
          litellm_params: {
            model: `openai/${MODEL_ID}`,
            api_base: `http://${SECRET.urlUser}:${SECRET.urlPass}@127.0.0.1:9/v1?api_key=${SECRET.urlQuery}`,
            api_key: SECRET.apiKey,
            extra_headers: { Authorization: `Bearer ${SECRET.headerAuth}`, 'X-Api-Key': SECRET.headerKey, 'X-Trace': `Bearer ${SECRET.plainValue}` },
            vertex_credentials: { nested: { value: SECRET.nested } },
            aws: [{ profile: { db_password: SECRET.deep } }],
          },
          model_info: { access_token: SECRET.infoToken, max_tokens: 4096, input_cost_per_token: 0.5 },
        },
      });
      const createdText = await created.text();
      expect(created.status, createdText).toBe(200);
      const k = await generate();
      for (const key of [MASTER_KEY, k.key]) {
        for (const path of ['/model/info', '/v1/model/info', '/model_group/info']) {
          const res = await app.fetch(path, { key });
          const text = await res.text();
          expect(res.status, text).toBe(200);
          for (const secret of Object.values(SECRET)) expect(text, `${path} shows ${secret}`).not.toContain(secret);
        }
      }
      for (const secret of Object.values(SECRET)) expect(createdText).not.toContain(secret);
      const info = (await (await app.fetch('/model/info', { key: k.key })).json()) as {
        data: { model_name: string; litellm_params: Record<string, unknown>; model_info: Record<string, unknown> }[];
      };
      const db = info.data.find((m) => m.model_name === 'db-creds')!;
      // What is not secret stays readable.
      expect(db.litellm_params.api_base).toBe('http://***:***@127.0.0.1:9/v1?api_key=***');
      expect(db.litellm_params.model).toBe(`openai/${MODEL_ID}`);
      expect(db.model_info).toMatchObject({ max_tokens: 4096, input_cost_per_token: 0.5 });
      const cfg = info.data.find((m) => m.model_name === 'cfg-creds')!;
      expect(cfg.litellm_params.api_base).toMatch(/^http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/v1\?api_key=\*\*\*&region=eu$/);
      const plain = info.data.find((m) => m.model_name === 'plain')!;
      expect(plain.litellm_params.api_base).toBe(mock.url);
    });
  });

  describe('unknown keys', () => {
    it('a flood of made-up keys costs few database queries, one at a time', async () => {
      const dataSource = app.proxy.app.get(DataSource);
      const original = dataSource.query.bind(dataSource);
      let lookups = 0;
      let inFlight = 0;
      let maxInFlight = 0;
      dataSource.query = (async (sql: string, params?: unknown[]) => {
        if (!/FROM "LiteLLM_VerificationToken" k[\s\S]*WHERE k\.token = ANY/.test(sql)) return original(sql, params);
        lookups++;
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          return await original(sql, params);
        } finally {
          inFlight--;
        }
      }) as typeof dataSource.query;
      try {
        const attempt = (key: string) =>
          fetch(`${app.url}/v1/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body: '{"model":"plain","messages":[]}',
          }).then((r) => r.status);
        const flood = async (keys: string[], concurrency: number) => {
          const statuses: number[] = [];
          let next = 0;
          await Promise.all(
            Array.from({ length: concurrency }, async () => {
              while (next < keys.length) statuses.push(await attempt(keys[next++]));
            }),
          );
          return statuses;
        };
        const random = Array.from({ length: 300 }, () => `sk-${randomBytes(16).toString('base64url')}`);
        const statuses = await flood(random, 30);
        expect(statuses.every((s) => s === 401)).toBe(true);
        // One query per key before; about one per six here (a batch is whatever arrived during the last query).
        expect(lookups).toBeLessThan(random.length / 3);
        expect(maxInFlight).toBe(1);

        // The same unknown key over and over: remembered, whatever the concurrency.
        lookups = 0;
        const same = `sk-${randomBytes(16).toString('base64url')}`;
        expect((await flood(Array(200).fill(same), 50)).every((s) => s === 401)).toBe(true);
        expect(lookups).toBeLessThanOrEqual(2);

        // A real key is still found at once.
        const k = await generate();
        expect(await attempt(k.key)).not.toBe(401);
      } finally {
        dataSource.query = original;
      }
    });
  });
});

/** A TCP relay to PostgreSQL that a test can cut, so the shared server itself is never touched. */
async function relay(target: URL): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => (client.destroy(), upstream.destroy());
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        sockets.forEach((s) => s.destroy());
      }),
  };
}

describe('readiness without its database', () => {
  let db: TestDatabase;
  let app: TestProxy | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('says "database unreachable" and nothing from the driver, to anyone', async () => {
    const target = new URL(db.url);
    const r = await relay(target);
    const viaRelay = new URL(db.url);
    viaRelay.host = `127.0.0.1:${r.port}`;
    app = await startTestProxy({ databaseUrl: viaRelay.toString() });
    expect((await app.fetch('/health/readiness', { key: null })).status).toBe(200);
    await r.cut();
    for (const key of [null, MASTER_KEY]) {
      const res = await app.fetch('/health/readiness', { key });
      expect(res.status).toBe(503);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toEqual({ status: 'unhealthy', db: 'Not connected', error: 'database unreachable', litellm_version: expect.any(String) });
    }
  });
});
