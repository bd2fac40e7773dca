// npm run bench -- --routing [--duration 20] [--warmup 3] [--no-write]
//
// Does load-aware routing pay? Two mock vLLMs with vLLM-like queueing (a batch of 8, a waiting
// queue, per-token time that grows with the batch), one twice as slow as the other; the slow one
// also serves traffic sent to it directly (another client, or another proxy instance this one does
// not know about). The same closed-loop load goes through the proxy under each routing strategy;
// reported: the proxy clients' throughput, p50/p99 latency, and the share the slow backend took.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { adminQuery, commandLine, dbUrl, ensureBuild, f0, freePort, gitHead, log, machine, snapshotBuild, stopChild, writeSection } from './harness.js';
import { runLoad, type LoadResult } from './load.js';
import { app, mockCounts, startMock } from './services.js';

const MODEL = 'bench/mock-model';
const TOKENS = 16;
/** Through the proxy, and straight to the slow backend. */
const PROXY_CONNECTIONS = 24;
const DIRECT_CONNECTIONS = 6;
const FAST = ['--ttft-ms', '20', '--inter-token-ms', '4', '--max-num-seqs', '8', '--slowdown', '1'];
const SLOW = ['--ttft-ms', '40', '--inter-token-ms', '8', '--max-num-seqs', '8', '--slowdown', '1'];

interface Cell {
  name: string;
  router: Record<string, unknown>;
}
const CELLS: Cell[] = [
  { name: 'simple-shuffle', router: { routing_strategy: 'simple-shuffle' } },
  { name: 'least-busy, own in-flight only', router: { routing_strategy: 'least-busy', vllm_metrics_interval: 0 } },
  { name: 'least-busy + vLLM /metrics (load-aware)', router: { routing_strategy: 'least-busy', vllm_metrics_interval: 1 } },
  { name: 'latency-based-routing', router: { routing_strategy: 'latency-based-routing' } },
];

export interface RoutingOptions {
  durationS: number;
  warmupS: number;
  build: boolean;
  noWrite: boolean;
}

const body = Buffer.from(JSON.stringify({ model: 'routed', messages: [{ role: 'user', content: 'hello there' }], max_tokens: TOKENS }));
const direct = Buffer.from(JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }], max_tokens: TOKENS }));

export async function routingBench(o: RoutingOptions): Promise<void> {
  const m = machine();
  const buildNote = ensureBuild(o.build);
  const dir = mkdtempSync(join(os.tmpdir(), 'mp-routing-'));
  const db = `bench_routing_${process.pid}`;
  const rows: string[] = [];
  const t0 = Date.now();
  try {
    await adminQuery(`DROP DATABASE IF EXISTS ${db}`);
    await adminQuery(`CREATE DATABASE ${db}`);
    const fast = await startMock('fast vLLM', 0, MODEL, FAST);
    const slow = await startMock('slow vLLM', 0, MODEL, SLOW);
    const main = snapshotBuild(join(dir, 'app'));
    const master = `sk-routing-${randomBytes(8).toString('hex')}`;
    for (const [i, cell] of CELLS.entries()) {
      const config = join(dir, `config-${i}.yaml`);
      const deployment = (url: string) => ({ model_name: 'routed', litellm_params: { model: `openai/${MODEL}`, api_base: `${url}/v1` } });
      writeFileSync(config, JSON.stringify({ model_list: [deployment(fast.url), deployment(slow.url)], router_settings: cell.router }));
      const proxy = app(`proxy (${cell.name})`, join(dir, `proxy-${i}`), main, await freePort(), {
        DATABASE_URL: dbUrl(db),
        LITELLM_MASTER_KEY: master,
        LITELLM_SALT_KEY: master,
        PROXY_CONFIG: config,
        LOG_LEVEL: 'warn',
      });
      await proxy.start();
      log(`routing: ${cell.name}`);
      const [before, slowBefore] = await Promise.all([mockCounts(fast.url), mockCounts(slow.url)]);
      const common = { path: '/v1/chat/completions', durationMs: o.durationS * 1000, warmupMs: o.warmupS * 1000 };
      const [viaProxy, straight] = await Promise.all([
        runLoad({
          ...common,
          origin: proxy.url,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${master}` },
          body,
          connections: PROXY_CONNECTIONS,
        }),
        runLoad({ ...common, origin: slow.url, headers: { 'content-type': 'application/json' }, body: direct, connections: DIRECT_CONNECTIONS }),
      ]);
      const [after, slowAfter] = await Promise.all([mockCounts(fast.url), mockCounts(slow.url)]);
      const toFast = after.completed - before.completed;
      const toSlow = slowAfter.completed - slowBefore.completed - straight.sent;
      rows.push(row(cell.name, viaProxy, straight, toSlow / Math.max(1, toFast + toSlow)));
      log(`  ${rows.at(-1)}`);
      proxy.child.proc.kill('SIGTERM');
      await proxy.child.exited;
    }
    await Promise.all([stopChild(fast.child), stopChild(slow.child)]);
    const out = [
      `Run ${new Date().toISOString()} at ${gitHead()} (${buildNote}) with \`${commandLine()}\`, ${o.durationS} s measured per strategy after ${o.warmupS} s of warm-up,`,
      `on ${m.cores} cores (${m.cpu}), Node ${m.node} — a machine shared with other work, so the figures are indicative.`,
      '',
      `Two mock vLLMs (batch of 8 running, FIFO waiting queue, per-token time × (1 + running/8)); the slow one has twice the`,
      `time to first token (40 vs 20 ms) and per-token time (8 vs 4 ms); ${TOKENS} tokens per answer. ${PROXY_CONNECTIONS} closed-loop`,
      `connections through the proxy, plus ${DIRECT_CONNECTIONS} sent straight to the slow backend (traffic the proxy does not count itself).`,
      '',
      '| strategy | proxy req/s | p50 ms | p99 ms | share to the slow backend | direct clients p50 / p99 ms | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
    ].join('\n');
    console.log(`\n${out}\n`);
    if (!o.noWrite) writeSection('Routing under load', out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await adminQuery(`DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    log(`routing: ${((Date.now() - t0) / 1000).toFixed(0)} s in all`);
  }
}

function row(name: string, r: LoadResult, straight: LoadResult, slowShare: number): string {
  const ms = (n: number) => f0(n);
  return `| ${name} | ${f0(r.rps)} | ${ms(r.latency.p50)} | ${ms(r.latency.p99)} | ${(slowShare * 100).toFixed(0)}% | ${ms(straight.latency.p50)} / ${ms(straight.latency.p99)} | ${r.errors} |`;
}
