// npm run bench -- --chaos-soak [--soak-minutes 10]
//
// Issue 12's soak: a short baseline of well-behaved clients alone, then 200 clients at once, of
// which 80 misbehave (read slowly, stop reading, leave mid-stream, send oversized or deeply nested
// bodies), while one of the alias's two backends dies and comes back, and the soak's own Redis and
// PostgreSQL each restart once. Reported, not asserted: outcomes, latency against the baseline, RSS
// over time, what is left in flight at the end, and what the backends saw.

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { badClient, chat, goodClient, MODEL, newTally, quantile, type Role, type Tally } from './chaos-clients.js';
import { commandLine, ensureBuild, f0, f2, freePort, gitHead, log, machine, mb, snapshotBuild, statusKb, stopChild, writeSection } from './harness.js';
import { deploymentYaml } from './harness.js';
import { app, kill9, metric, mintKey, mockCounts, sleep, startMock, startPostgres, startRedis, SoakWorkspace, type MockCounts } from './services.js';
import type { SoakOptions } from './soak-money.js';

const UPSTREAM = 'bench/mock-model';
const GOOD = 120;
const BAD: [Role, number][] = [
  ['slow reader', 27],
  ['stops reading', 8],
  ['disconnects mid-stream', 20],
  ['oversized body', 10],
  ['deeply nested body', 15],
];
const PACING_MS = 500;
const LIMITS = { MAX_REQUEST_BODY_BYTES: String(1024 * 1024), STREAM_STALL_TIMEOUT_MS: '5000', MAX_JSON_DEPTH: '64' };

export async function chaosSoak(o: SoakOptions): Promise<void> {
  const m = machine();
  const machineLine = `${m.cores} cores (${m.cpu}), ${m.memGb} GB RAM, Node ${m.node}, ${m.kernel}`;
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  const buildNote = ensureBuild(o.build);
  const ws = new SoakWorkspace('mp-chaos-soak-');
  const dir = ws.dir;
  const t0 = Date.now();
  try {
    const pgServer = (ws.pg = await startPostgres(join(dir, 'pg'), await freePort(), 'chaos'));
    const redisPort = await freePort();
    let redis = await startRedis(redisPort);
    const portA = await freePort();
    const portB = await freePort();
    const mockA = await startMock('mock A', portA, UPSTREAM);
    let mockB = await startMock('mock B', portB, UPSTREAM);
    const main = snapshotBuild(join(dir, 'app'));
    const master = `sk-chaos-master-${randomBytes(8).toString('hex')}`;
    const dep = (url: string): string[] => deploymentYaml(MODEL, UPSTREAM, url);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, ['model_list:', ...dep(mockA.url), ...dep(mockB.url), ''].join('\n'));
    const proxyPort = await freePort();
    const proxy = app('proxy', join(dir, 'proxy'), main, proxyPort, {
      DATABASE_URL: pgServer.url('chaos'),
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      LITELLM_MASTER_KEY: master,
      LITELLM_SALT_KEY: `sk-chaos-salt-${randomBytes(8).toString('hex')}`,
      PROXY_CONFIG: config,
      ...LIMITS,
    });
    await proxy.start();
    const pid = proxy.child.pid;
    const bootKb = statusKb(pid, 'VmRSS');
    // Good clients share a key with an rpm limit (so every request goes through Redis); every bad
    // client has its own key with max_parallel_requests 1, so a leaked slot locks that key out.
    const goodKey = await mintKey(proxy.url, master, { key_alias: 'chaos-good', rpm_limit: 1_000_000 });
    const badKeys: string[] = [];
    for (const [, n] of BAD)
      for (let i = 0; i < n; i++) badKeys.push(await mintKey(proxy.url, master, { key_alias: `chaos-bad-${badKeys.length}`, max_parallel_requests: 1 }));

    const rss: { s: number; kb: number; phase: string }[] = [];
    let phase = 'baseline';
    const tRss = Date.now();
    const sampler = setInterval(
      () => rss.push({ s: (Date.now() - tRss) / 1000, kb: statusKb(proxy.child.pid, 'VmRSS'), phase }),
      o.minutes <= 2 ? 5_000 : 10_000,
    );

    const total = o.minutes * 60_000;
    const baselineMs = Math.min(60_000, Math.max(20_000, total / 5));
    log(`chaos soak: baseline ${baselineMs / 1000} s with ${GOOD} well-behaved clients, then ${o.minutes} min with ${GOOD + badKeys.length}`);
    const base = newTally();
    const baseEnd = Date.now() + baselineMs;
    await Promise.all(Array.from({ length: GOOD }, (_, i) => goodClient(proxy.url, goodKey, PACING_MS, () => Date.now() >= baseEnd, base, i)));

    phase = 'chaos';
    const good = newTally();
    const bad = newTally();
    const start = Date.now();
    const end = start + total;
    const stop = (): boolean => Date.now() >= end;
    const events: string[] = [];
    const event = (what: string): void => {
      events.push(`${what} at ${((Date.now() - start) / 1000).toFixed(0)} s`);
      log(`  ${events.at(-1)}`);
    };
    const clients: Promise<void>[] = Array.from({ length: GOOD }, (_, i) => goodClient(proxy.url, goodKey, PACING_MS, stop, good, i));
    let k = 0;
    for (const [role, n] of BAD) for (let i = 0; i < n; i++, k++) clients.push(badClient(role, proxyPort, badKeys[k], stop, bad, k));
    const deadB: MockCounts[] = [];
    const chaos = (async () => {
      const until = (f: number): Promise<void> => sleep(Math.max(0, start + total * f - Date.now()));
      await until(0.2);
      event('PostgreSQL stopped');
      await pgServer.stop();
      await sleep(Math.max(5_000, total * 0.05));
      await pgServer.start();
      event('PostgreSQL back');
      await until(0.35);
      deadB.push(await mockCounts(mockB.url).catch(() => ({ completed: NaN, aborted: NaN })));
      event('backend B SIGKILLed');
      await kill9(mockB.child);
      await until(0.55);
      mockB = await startMock('mock B', portB, UPSTREAM);
      event('backend B back');
      await until(0.7);
      event('Redis stopped');
      await stopChild(redis);
      await sleep(Math.max(3_000, total * 0.03));
      redis = await startRedis(redisPort);
      event('Redis back');
    })();
    await Promise.all(clients);
    await chaos;
    const seconds = (Date.now() - start) / 1000;
    // Past the stall timeout, so nothing a client left behind is still counted as in flight.
    await sleep(7_000);
    clearInterval(sampler);
    rss.push({ s: (Date.now() - tRss) / 1000, kb: statusKb(pid, 'VmRSS'), phase: 'idle' });
    const inFlight = await metric(proxy.url, master, 'model_proxy_in_flight_requests');
    let keysOk = 0;
    const keyFails: Record<string, number> = {};
    for (const key of badKeys) {
      const r = await request(`${proxy.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: chat(false, 4, 0),
      });
      await r.body.dump();
      if (r.statusCode === 200) keysOk++;
      else keyFails[`HTTP ${r.statusCode}`] = (keyFails[`HTTP ${r.statusCode}`] ?? 0) + 1;
    }
    const a = await mockCounts(mockA.url);
    const b = await mockCounts(mockB.url);
    const out = [
      `Machine: ${machineLine}; 1-min load average ${loadAtStart} at the start.`,
      `Command: \`${commandLine()}\`; ${new Date().toISOString()}; commit ${gitHead()}, proxy from ${buildNote}; ${Object.entries(LIMITS)
        .map(([x, v]) => `${x}=${v}`)
        .join(', ')}; REDIS_URL at the soak's own redis-server, the soak's own embedded PostgreSQL (never the machine's).`,
      `Baseline: ${GOOD} well-behaved clients alone for ${(baselineMs / 1000).toFixed(0)} s. Then ${seconds.toFixed(0)} s with ${GOOD + badKeys.length} clients: ${GOOD} well-behaved (each paced to one request per ${PACING_MS} ms, 1 in 3 streamed, one key with an rpm limit so every request counts in Redis), ` +
        `${BAD.map(([r, n]) => `${n} ${r}`).join(', ')} (raw sockets; each with its own key, max_parallel_requests 1). Alias ${MODEL}: two deployments (mocks A and B). Events: ${events.join(', ')}.`,
      '',
      outcomeTable(base, good, bad),
      '',
      `Well-behaved clients' latency: baseline p50 **${f2(quantile(base.latencies, 0.5))} ms**, p99 **${f2(quantile(base.latencies, 0.99))} ms** (${f0(base.latencies.length)} requests); ` +
        `under chaos p50 **${f2(quantile(good.latencies, 0.5))} ms**, p99 **${f2(quantile(good.latencies, 0.99))} ms** (${f0(good.latencies.length)} requests).`,
      '',
      `Proxy RSS: ${mb(bootKb)} after boot; samples (s, MB): ${rss.map((r) => `${r.s.toFixed(0)}${r.phase === 'baseline' ? 'b' : r.phase === 'idle' ? ' idle' : ''}/${(r.kb / 1024).toFixed(0)}`).join(', ')} ("b": baseline); ${rssTrend(rss)}.`,
      '',
      `Left at the end (7 s after the last client): model_proxy_in_flight_requests **${inFlight}**; the ${badKeys.length} max_parallel_requests 1 keys of the bad clients: **${keysOk} of ${badKeys.length}** served a request afterwards` +
        `${
          Object.keys(keyFails).length
            ? ` (others: ${Object.entries(keyFails)
                .map(([x, v]) => `${x} ×${v}`)
                .join(', ')})`
            : ''
        }.`,
      '',
      `Backends (GET /mock/requests; inference requests answered to the end vs left by the proxy before the end): A ${f0(a.completed)} completed / ${f0(a.aborted)} aborted; ` +
        `B ${f0(deadB[0]?.completed ?? NaN)} / ${f0(deadB[0]?.aborted ?? NaN)} before it was killed (read just before the kill), ${f0(b.completed)} / ${f0(b.aborted)} after it came back.`,
    ].join('\n');
    console.log(`\n${out}\n`);
    if (!o.noWrite) {
      writeSection('Latest chaos soak', out);
      log('wrote "Latest chaos soak" in BENCHMARKS.md');
    }
  } finally {
    await ws.close();
    log(`chaos soak: ${((Date.now() - t0) / 1000).toFixed(0)} s in all, setup, baseline and teardown included`);
  }
}

function outcomeTable(base: Tally, good: Tally, bad: Tally): string {
  const rows = ['| outcome | baseline | chaos |', '| --- | ---: | ---: |'];
  const keys = [...new Set([...Object.keys(base.outcomes), ...Object.keys(good.outcomes), ...Object.keys(bad.outcomes)])].sort();
  for (const k of keys) rows.push(`| ${k} | ${f0(base.outcomes[k] ?? 0)} | ${f0((good.outcomes[k] ?? 0) + (bad.outcomes[k] ?? 0))} |`);
  return rows.join('\n');
}

/** Lowest sample of the first and the second half of the chaos phase (RSS is a GC sawtooth: compare troughs). */
function rssTrend(rss: { kb: number; phase: string }[]): string {
  const chaos = rss.filter((r) => r.phase === 'chaos');
  if (chaos.length < 2) return 'too few samples for a trend';
  const half = Math.floor(chaos.length / 2);
  const low = (xs: typeof chaos): number => Math.min(...xs.map((r) => r.kb));
  const a = low(chaos.slice(0, half));
  const b = low(chaos.slice(half));
  const peak = Math.max(...rss.map((r) => r.kb));
  return `lowest ${mb(a)} in the first half of the chaos, ${mb(b)} in the second (${b >= a ? '+' : ''}${((b - a) / 1024).toFixed(1)} MB), peak sample ${mb(peak)}`;
}
