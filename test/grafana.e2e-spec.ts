import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/database.js';
import { startTestProxy, type TestProxy } from './helpers/proxy.js';
import { rejectionOf, withMock } from './helpers/sdk.js';
import { startMockVllm, type MockVllm } from './mock-vllm/mock-vllm.js';

// Issue 16, item 6: the Grafana dashboard in infra/ queries only metrics the proxy exports. Checked
// against a live /metrics after requests went through (a plain one, a stream, a failed one), so the
// labelled series exist.

const DASHBOARD = fileURLToPath(new URL('../infra/grafana/model-proxy.json', import.meta.url));

interface Panel {
  id: number;
  title: string;
  type: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string }>;
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  __inputs: Array<{ name: string; type: string; pluginId: string }>;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queried = [...new Set(panels.flatMap((p) => (p.targets ?? []).flatMap((t) => t.expr.match(/\bmodel_proxy_[a-z0-9_]+/g) ?? [])))].sort();

describe('infra/grafana/model-proxy.json', () => {
  let mock: MockVllm;
  let db: TestDatabase;
  let app: TestProxy;

  beforeAll(async () => {
    [mock, db] = await Promise.all([startMockVllm({ model: 'google/gemma-4-31b' }), createTestDatabase()]);
    app = await startTestProxy({
      databaseUrl: db.url,
      settings: { router_settings: { allowed_fails: 100 } },
      models: [
        {
          model_name: 'gemma',
          litellm_params: { model: 'openai/google/gemma-4-31b', api_base: mock.url },
          model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 },
        },
      ],
    });
    const client = app.client();
    const user = [{ role: 'user' as const, content: 'hi' }];
    await client.chat.completions.create({ model: 'gemma', messages: user, max_tokens: 3 });
    for await (const chunk of await client.chat.completions.create({ model: 'gemma', messages: user, max_tokens: 3, stream: true })) void chunk;
    await rejectionOf(client.chat.completions.create(withMock({ model: 'gemma', messages: user, max_tokens: 3 }, { fault: '500' })));
  });
  afterAll(async () => {
    await app?.close();
    await mock?.close();
    await db?.drop();
  });

  it('queries the panels the issue asks for', () => {
    expect(queried).toEqual(
      expect.arrayContaining([
        'model_proxy_requests_total',
        'model_proxy_request_duration_seconds_bucket',
        'model_proxy_time_to_first_token_seconds_bucket',
        'model_proxy_tokens_total',
        'model_proxy_spend_usd_total',
        'model_proxy_in_flight_requests',
        'model_proxy_upstream_errors_total',
        'model_proxy_spend_queue_depth',
        'model_proxy_spend_records_written_total',
        'model_proxy_spend_dead_letter_total',
        'model_proxy_deployment_queue_waiting',
        'model_proxy_deployment_running',
        'model_proxy_deployment_kv_cache_usage',
      ]),
    );
  });

  it('every metric it queries has a series in a live /metrics', async () => {
    // The per-deployment vLLM gauges appear once the background reader has read the mock's /metrics (about every second).
    await new Promise((r) => setTimeout(r, 1_500));
    const res = await app.fetch('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    const exported = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('model_proxy_'))
        .map((l) => /^[a-z0-9_]+/.exec(l)![0]),
    );
    expect(queried.filter((name) => !exported.has(name))).toEqual([]);
  });

  it('is importable: one Prometheus data source input used by every query panel, unique panel ids', () => {
    expect(dashboard.uid).toBe('model-proxy');
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels.filter((p) => p.targets)) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: '${DS_PROMETHEUS}' });
      for (const t of p.targets!) expect(t.refId, p.title).toMatch(/^[A-Z]$/);
    }
  });
});
