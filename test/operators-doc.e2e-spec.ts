import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { MASTER_KEY, startTestProxy, type TestProxy } from './helpers/proxy.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Issue 16, item 7: every curl example in docs/operators.md works as written, in order, against the
// default config's two backends (two mocks), with STORE_MODEL_IN_DB on. Lines that start processes
// (`make …`, `kill …`) are left to the operator; every curl must answer 2xx.

const DOC = fileURLToPath(new URL('../docs/operators.md', import.meta.url));
const DEFAULT_URL = 'http://127.0.0.1:4100';

/** The ```sh blocks that talk to the proxy, in document order, without the lines that start or signal processes. */
function curlBlocks(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks
    .filter((b) => b.includes('$P'))
    .map((b) =>
      b
        .split('\n')
        .filter((l) => !/^(make|kill) /.test(l))
        .join('\n'),
    );
}

describe('docs/operators.md examples', () => {
  let db: TestDatabase;
  let gemma: MockVllm;
  let qwen: MockVllm;
  let app: TestProxy;

  beforeAll(async () => {
    [db, gemma, qwen] = await Promise.all([createTestDatabase(), startMockVllm({ model: 'google/gemma-4-31b' }), startMockVllm({ model: 'Qwen/Qwen3-8B' })]);
    app = await startTestProxy({
      databaseUrl: db.url,
      env: { STORE_MODEL_IN_DB: 'True' },
      models: [
        { model_name: 'gemma-4-31b', litellm_params: { model: 'openai/google/gemma-4-31b', api_base: gemma.url }, model_info: { input_cost_per_token: 2e-7 } },
        { model_name: 'qwen3-8b', litellm_params: { model: 'openai/Qwen/Qwen3-8B', api_base: qwen.url }, model_info: { input_cost_per_token: 5e-8 } },
      ],
    });
    writeFileSync(join(app.dir, 'tokens.env'), `LITELLM_MASTER_KEY=${MASTER_KEY}\n`);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([gemma?.close(), qwen?.close()]);
    await db?.drop();
  });

  it('the docs start a mock for each backend of the default config', () => {
    const doc = readFileSync(DOC, 'utf8');
    const config = readFileSync(fileURLToPath(new URL('../infra/litellm.config.yaml', import.meta.url)), 'utf8');
    for (const [, port] of config.matchAll(/api_base: http:\/\/127\.0\.0\.1:(\d+)\/v1/g)) {
      expect(doc).toMatch(port === '8123' ? /^make mock-vllm +#/m : new RegExp(`^make mock-vllm MOCK_VLLM_PORT=${port} `, 'm'));
    }
  });

  it('runs every curl example, in order, each answering 2xx', { timeout: 60_000 }, async () => {
    const setup = readFileSync(DOC, 'utf8')
      .match(/```sh\n(P=http[^\n]*\nMASTER_KEY=[^\n]*\n)```/)![1]
      .replace(DEFAULT_URL, app.url);
    const blocks = curlBlocks(readFileSync(DOC, 'utf8'));
    expect(blocks.length).toBeGreaterThan(5);
    // curl --fail-with-body: a 4xx or 5xx stops the script at that command (set -e), with its answer.
    const script = [
      'set -euo pipefail',
      'curl() { command curl --fail-with-body -S "$@"; }',
      setup,
      ...blocks,
      'test -n "$KEY" && test -n "$ID"',
      'echo ALL-OK',
    ].join('\n');
    // Asynchronously: the proxy answering the script runs in this process.
    const run = await promisify(execFile)('bash', ['--norc', '--noprofile', '-c', script], {
      cwd: app.dir,
      env: { PATH: process.env.PATH },
      timeout: 55_000,
    }).catch((err: { stdout: string; stderr: string }) => err);
    expect(run.stdout + run.stderr).toMatch(/ALL-OK/);
  });
});
