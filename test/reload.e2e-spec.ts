import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { type BuiltEntry, proxyEnv, snapshotBuild, spawnProxy, tempDir, type TempDir } from './helpers/process.js';
import { MASTER_KEY } from './helpers/proxy.js';
import { waitFor } from './helpers/sdk.js';

/** A config with one alias pointing at the mock. */
function config(alias: string, apiBase: string): string {
  return `model_list:\n  - model_name: ${alias}\n    litellm_params:\n      model: openai/google/gemma-4-31b\n      api_base: ${apiBase}\n`;
}

describe('SIGHUP re-reads the config file', { timeout: 90_000 }, () => {
  let db: TestDatabase;
  let entry: BuiltEntry;
  let mock: MockVllm;
  let dir: TempDir;

  beforeAll(async () => {
    [db, entry, mock] = await Promise.all([createTestDatabase(), snapshotBuild(), startMockVllm({ model: 'google/gemma-4-31b' })]);
    dir = tempDir();
  });
  afterAll(async () => {
    await mock?.close();
    await db?.drop();
    dir?.remove();
  });

  it('serves a new alias after SIGHUP, and keeps the old config when the new file is invalid', async () => {
    const path = join(dir.path, 'config.yaml');
    writeFileSync(path, config('before', mock.url));
    const proc = spawnProxy(entry, proxyEnv(dir.path, db.url), dir.path);
    const url = await proc.listening();
    // The start-up line names where the docs and the admin UI are.
    await proc.waitForOutput(new RegExp(`docs at ${url}/docs, admin UI at ${url}/ui/`));
    const aliases = async () => {
      const res = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
      return ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    };
    expect(await aliases()).toEqual(['before']);

    writeFileSync(path, config('after', mock.url));
    proc.child.kill('SIGHUP');
    await waitFor(async () => (await aliases()).join() === 'after', 5000, 50);
    // The audit trail names the signal as the actor, with the deployments before and after.
    const audit = async () =>
      db.query<{ changed_by: string; before_value: unknown; updated_values: unknown }>(`SELECT * FROM "LiteLLM_AuditLog" WHERE action = 'reloaded'`);
    await waitFor(async () => (await audit()).length === 1, 5000, 50);
    const [row] = await audit();
    expect(row.changed_by).toBe('SIGHUP');
    expect(JSON.stringify(row.before_value)).toContain('"before"');
    expect(JSON.stringify(row.updated_values)).toContain('"after"');

    writeFileSync(path, config('broken', 'not a url'));
    proc.child.kill('SIGHUP');
    await proc.waitForOutput(/config reload refused.*model_list\[0\]\.litellm_params\.api_base/);
    expect(await aliases()).toEqual(['after']);
    const chat = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'after', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
    });
    expect(chat.status).toBe(200);

    proc.child.kill('SIGTERM');
    expect((await proc.exited()).code).toBe(0);
  });
});
