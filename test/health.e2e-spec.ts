import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';

describe('health and docs', () => {
  let db: TestDatabase;
  let app: TestProxy;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestProxy({ databaseUrl: db.url });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('answers liveliness without a key', async () => {
    const res = await app.fetch('/health/liveliness', { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toBe("I'm alive!");
    expect(res.headers.get('x-request-id')).toMatch(/.+/);
  });

  it('reports the database in readiness', async () => {
    const res = await app.fetch('/health/readiness', { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'healthy', db: 'connected' });
  });
});
