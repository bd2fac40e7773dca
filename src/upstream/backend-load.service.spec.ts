import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startMockVllm } from '../../test/mock-vllm/mock-vllm.js';
import { parseLoadRouting } from '../config/routing-settings.js';
import type { DeploymentConfig } from '../config/config.types.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import { BackendLoadService } from './backend-load.service.js';

const MODEL = 'google/gemma-4-31b';
const dep = (apiBase: string) => ({ id: 'd1', modelName: 'x', upstreamModel: MODEL, apiBase }) as DeploymentConfig;
const registryOf = (d: DeploymentConfig) =>
  ({ all: () => [d], router: { load: { ...parseLoadRouting({}, {}, {}), vllmMetricsIntervalSec: 0.05 } } }) as unknown as ModelRegistry;
const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
};

describe('BackendLoadService', () => {
  afterEach(() => vi.useRealTimers());

  it("reads the vLLM's gauges, counts what it holds for others, and drops a reading once it is stale", async () => {
    const mock = await startMockVllm({ model: MODEL });
    mock.setReportedLoad({ waiting: 7, running: 3, kvCacheUsage: 0.4 });
    const service = new BackendLoadService(registryOf(dep(mock.url)));
    service.localInFlight = () => 2;
    service.onApplicationBootstrap();
    try {
      await until(() => service.snapshot('d1') !== undefined);
      expect(service.snapshot('d1')).toMatchObject({ waiting: 7, running: 3, kvCacheUsage: 0.4 });
      // 10 on the backend, 2 of them this proxy's own.
      expect(service.othersOn('d1')).toBe(8);
      await mock.close();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 3500);
      expect(service.snapshot('d1')).toBeUndefined();
      expect(service.othersOn('d1')).toBe(0);
    } finally {
      await service.onApplicationShutdown();
    }
  });

  it('gives nothing for a backend without /metrics', async () => {
    let asked = 0;
    const server = createServer((_req, res) => {
      asked++;
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const service = new BackendLoadService(registryOf(dep(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`)));
    service.onApplicationBootstrap();
    try {
      await until(() => asked > 0);
      await new Promise((r) => setTimeout(r, 200));
      expect(service.snapshot('d1')).toBeUndefined();
      // Asked again only a minute later, not every interval.
      expect(asked).toBe(1);
    } finally {
      await service.onApplicationShutdown();
      server.close();
    }
  });
});
