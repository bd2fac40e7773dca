// npm run bench [-- --routing] [-- --quick] [-- --duration 10] [-- --rss-soak 1000000] [-- --money-soak | --chaos-soak] ...
//
// One run sends the same load straight to the mock vLLM, through the bare pass-through
// (bench/passthrough.ts, the floor of what Node can do here), through the proxy with the master key
// and with a virtual key, and through a second proxy with spend logs off (virtual key), and writes
// the figures into BENCHMARKS.md ("Latest run").
//
// The mock, the pass-through and the proxies run as child processes, so they and this load generator
// do not share an event loop. The proxy is the built app (`node dist/src/main.js`): tsx has no
// decorator metadata, so Nest cannot be imported here. It runs as in production: default log level
// (one JSON line per request), its stdout and stderr going to a file, not to a pipe read here.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { request } from 'undici';
import { formatTop, type Window } from './cpuprofile-top.js';
import {
  proxyConfigYaml,
  productionNodeFlags,
  proxyEnv,
  adminQuery,
  BENCHMARKS,
  check,
  children,
  CLK_TCK,
  commandLine,
  cpuSeconds,
  dbUrl,
  ensureBuild,
  f0,
  f2,
  freePort,
  gitHead,
  log,
  logStats,
  machine,
  mark,
  mb,
  pctOf,
  signed,
  snapshotBuild,
  startChild,
  statusKb,
  stopChild,
  tsxArgs,
  waitForHttp,
  waitForUrl,
  writeSection,
  type Child,
} from './harness.js';
import { runLoad, type LoadResult } from './load.js';
import { chaosSoak } from './soak-chaos.js';
import { routingBench } from './routing.js';
import { moneySoak } from './soak-money.js';

const UPSTREAM_MODEL = 'bench/mock-model';
const ALIAS = 'bench-model';
const MASTER_KEY = `sk-bench-master-${randomBytes(8).toString('hex')}`;
const SALT_KEY = `sk-bench-salt-${randomBytes(8).toString('hex')}`;

// ---------------------------------------------------------------- options

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    scenarios: { type: 'string' },
    targets: { type: 'string' },
    'rss-soak': { type: 'string' },
    'soak-connections': { type: 'string', default: '50' },
    'money-soak': { type: 'boolean', default: false },
    'chaos-soak': { type: 'boolean', default: false },
    routing: { type: 'boolean', default: false },
    'soak-minutes': { type: 'string' },
    profile: { type: 'boolean', default: false },
    build: { type: 'boolean', default: false },
    repeat: { type: 'string', default: '1' },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (args.help) {
  console.log(`usage: npm run bench -- [options]
  --quick               3 s per cell (default 10 s), 1 s warm-up (default 2 s)
  --duration S          seconds measured per cell
  --warmup S            seconds of warm-up per cell (not measured)
  --scenarios LIST      comma list of: 1, 50, stream50, stream1 (default: all)
  --targets LIST        comma list of: direct, passthrough, proxy, proxy-vkey, proxy-nospend (default: all)
  --rss-soak N          instead of the matrix: N requests through the proxy (virtual key when it
                        can mint one; 1 in 10 streamed) at --soak-connections (50), RSS sampled every 10 s
  --money-soak          instead of the matrix: issue 11's soak (budgeted keys, mixed traffic, a PostgreSQL
                        restart and a proxy SIGKILL + restart; spend in the DB vs what clients were told);
                        writes "Latest money soak"
  --chaos-soak          instead of the matrix: issue 12's soak (200 clients, some hostile; a backend dies and
                        returns; Redis and PostgreSQL restart); writes "Latest chaos soak"
  --routing             instead of the matrix: routing strategies in front of a fast and a slow queueing
                        mock vLLM (--duration, default 20 s each, --warmup default 3 s); about 2 minutes
  --soak-minutes N      length of --money-soak / --chaos-soak (default 10); both start their own PostgreSQL
                        (embedded) and Redis on free ports, never the machine's
  --repeat K            run every cell K times, interleaved, and report the median by req/s
  --profile             run the proxy under node --cpu-prof and print its hottest functions
  --build               run \`nest build\` first (done anyway when dist/ is missing)
  --no-write            do not touch BENCHMARKS.md
environment: DATABASE_URL (admin connection; default postgres://postgres@127.0.0.1:5432/postgres),
  BENCH_LOG_LEVEL (the proxies at this log level instead of the default info: an A/B of logging)`);
  process.exit(0);
}

function positive(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${name} must be a number > 0, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const durationS = positive(args.duration, 'duration', args.quick ? 3 : 10);
const warmupS = positive(args.warmup, 'warmup', args.quick ? 1 : 2);
const soakN = args['rss-soak'] === undefined ? undefined : Math.floor(positive(args['rss-soak'], 'rss-soak', 0));
const repeat = Math.floor(positive(args.repeat, 'repeat', 1));
const soakConnections = Math.floor(positive(args['soak-connections'], 'soak-connections', 50));
/** BENCH_LOG_LEVEL=error (say): the proxies start at that level instead of the default info. */
const LOG_OVERRIDE = process.env.BENCH_LOG_LEVEL || undefined;

type TargetName = 'direct' | 'passthrough' | 'proxy' | 'proxy-vkey' | 'proxy-nospend';
const ALL_TARGETS: readonly TargetName[] = ['direct', 'passthrough', 'proxy', 'proxy-vkey', 'proxy-nospend'];
const TARGET_LABEL: Record<TargetName, string> = {
  direct: 'mock direct',
  passthrough: 'pass-through',
  proxy: 'proxy (master key)',
  'proxy-vkey': 'proxy (virtual key)',
  'proxy-nospend': 'proxy, spend logs off (virtual key)',
};

interface Scenario {
  id: string;
  label: string;
  connections: number;
  stream: boolean;
}
const SCENARIOS: Scenario[] = [
  { id: '1', label: 'non-stream, 1 conn', connections: 1, stream: false },
  { id: '50', label: 'non-stream, 50 conn', connections: 50, stream: false },
  { id: 'stream50', label: 'stream, 50 conn', connections: 50, stream: true },
  { id: 'stream1', label: 'stream, 1 conn', connections: 1, stream: true },
];

function pickList<T extends string>(raw: string | undefined, all: readonly T[], name: string): T[] {
  if (raw === undefined) return [...all];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const x of list) {
    if (!(all as readonly string[]).includes(x)) {
      console.error(`--${name}: unknown ${JSON.stringify(x)}; one of ${all.join(', ')}`);
      process.exit(2);
    }
  }
  return list as T[];
}
const scenarios = pickList(
  args.scenarios,
  SCENARIOS.map((s) => s.id),
  'scenarios',
).map((id) => SCENARIOS.find((s) => s.id === id) as Scenario);
const wantedTargets = pickList<TargetName>(args.targets, ALL_TARGETS, 'targets');

// ---------------------------------------------------------------- targets and bodies

interface Target {
  name: TargetName;
  origin: string;
  key: string;
  model: string;
  /** The child whose CPU counts as "the server" (pass-through or proxy). */
  server?: Child;
  /** The proxy's database, whose PostgreSQL backends' CPU is the "db" column. */
  db?: string;
}

function bodyFor(model: string, stream: boolean, soak = false): Buffer {
  const b: Record<string, unknown> = { model, messages: [{ role: 'user', content: 'Say hello to the benchmark' }] };
  if (stream) {
    b.max_tokens = 8;
    b.stream = true;
    // Per-request mock steering; the proxy forwards unknown fields untouched.
    b.mock = { ttft_ms: 0, inter_token_ms: soak ? 0 : 5 };
  } else {
    b.max_tokens = 16;
  }
  return Buffer.from(JSON.stringify(b));
}

function headersFor(key: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${key}` };
}

/** One request of each kind, checked, so a misconfigured target fails loudly instead of benchmarking 4xx. */
async function sanity(t: Target): Promise<void> {
  for (const stream of [false, true]) {
    const r = await request(`${t.origin}/v1/chat/completions`, { method: 'POST', headers: headersFor(t.key), body: bodyFor(t.model, stream) });
    const text = await r.body.text();
    if (r.statusCode !== 200 || !text.includes('tok ') || (stream && !text.includes('[DONE]'))) {
      throw new Error(`${TARGET_LABEL[t.name]}: ${stream ? 'streaming' : 'non-streaming'} check failed: HTTP ${r.statusCode} ${text.slice(0, 300)}`);
    }
  }
}

// ---------------------------------------------------------------- cells

interface Cell {
  scenario: Scenario;
  target: TargetName;
  /** Which repetition (0-based) of the matrix it belongs to. */
  rep: number;
  result: LoadResult;
  /** The measured window on the monotonic clock (µs), to cut a CPU profile down to it. */
  window: Window;
  /**
   * CPU % of one core during the measured window: `db` is the PostgreSQL backends of the target's
   * database (the proxy's spend writes), `other` every process not ours (other work on the machine,
   * PostgreSQL's shared WAL writer and checkpointer, the kernel's softirq time).
   */
  cpu: { gen: number; server?: number; mock: number; db?: number; other: number };
}

/** Busy CPU seconds of the whole machine so far (all cores), from /proc/stat. */
function machineBusySeconds(): number {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds used so far by each PostgreSQL backend serving database `db` (found by its process
 * title, `postgres: … user db host(port) state`), so the spend writes show as their own column.
 * A backend that exits inside a window takes its CPU with it (the pool keeps them open under load).
 */
function dbCpu(db: string | undefined): Map<number, number> {
  const per = new Map<number, number>();
  if (db === undefined) return per;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let title: string;
    try {
      title = readFileSync(`/proc/${e}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (title.startsWith('postgres:') && title.includes(` ${db} `)) {
      const s = cpuSeconds(Number(e));
      if (!Number.isNaN(s)) per.set(Number(e), s);
    }
  }
  return per;
}

interface CpuSnap {
  at: number;
  gen: number;
  server: number;
  mock: number;
  db: Map<number, number>;
  /** Our processes, PostgreSQL backends excluded. */
  ours: number;
  busy: number;
}
function snapCpu(server: Child | undefined, mock: Child, db: string | undefined): CpuSnap {
  const gen = cpuSeconds(process.pid);
  const per = children.map((c) => ({ c, s: cpuSeconds(c.pid) }));
  const of = (c: Child | undefined): number => (c ? (per.find((p) => p.c === c)?.s ?? NaN) : NaN);
  const ours = gen + per.reduce((a, p) => a + (Number.isNaN(p.s) ? 0 : p.s), 0);
  return { at: performance.now(), gen, server: of(server), mock: of(mock), db: dbCpu(db), ours, busy: machineBusySeconds() };
}

/** CPU seconds the backends used between two snapshots: a backend born in between counts from zero. */
function dbDelta(before: CpuSnap, after: CpuSnap): number {
  let d = 0;
  for (const [pid, s] of after.db) d += Math.max(0, s - (before.db.get(pid) ?? 0));
  return d;
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

async function runCell(s: Scenario, t: Target, mock: Child, rep: number): Promise<Cell> {
  let before: CpuSnap | undefined;
  let from = nowUs();
  const result = await runLoad({
    origin: t.origin,
    path: '/v1/chat/completions',
    headers: headersFor(t.key),
    body: bodyFor(t.model, s.stream),
    connections: s.connections,
    durationMs: durationS * 1000,
    warmupMs: warmupS * 1000,
    stream: s.stream,
    timingHeader: t.name.startsWith('proxy') ? 'x-litellm-overhead-duration-ms' : undefined,
    onMeasureStart: () => {
      before = snapCpu(t.server, mock, t.db);
      from = nowUs();
    },
  });
  const to = nowUs();
  const after = snapCpu(t.server, mock, t.db);
  const b = before;
  const secs = b ? (after.at - b.at) / 1000 : NaN;
  const pct = (k: 'gen' | 'server' | 'mock' | 'ours' | 'busy'): number => (b ? ((after[k] - b[k]) / secs) * 100 : NaN);
  const db = b ? (dbDelta(b, after) / secs) * 100 : NaN;
  return {
    scenario: s,
    target: t.name,
    rep,
    result,
    window: { from, to },
    cpu: {
      gen: pct('gen'),
      server: t.server ? pct('server') : undefined,
      mock: pct('mock'),
      db: t.db ? db : undefined,
      other: Math.max(0, pct('busy') - pct('ours') - (t.db ? db : 0)),
    },
  };
}

// ---------------------------------------------------------------- formatting

/** Other processes took more than half a core during the cell: its figures are not the proxy's alone. */
const NOISY_OTHER = 50;
const noisy = (c: Cell): boolean => c.cpu.other > NOISY_OTHER;

function table(cells: Cell[]): string {
  const rows = [
    '| scenario | target | req/s | p50 ms | p99 ms | TTFT p50 | TTFT p99 | errors | vs direct | vs pass-through | CPU % gen · server · mock · db · other |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const c of cells) {
    const same = (t: TargetName): Cell | undefined => cells.find((x) => x.scenario === c.scenario && x.target === t);
    const r = c.result;
    const errs =
      r.errors === 0
        ? '0'
        : `${r.errors} (${Object.entries(r.errorKinds)
            .map(([k, v]) => `${k} ×${v}`)
            .join('; ')})`;
    const opt = (n: number | undefined): string => (n === undefined ? '–' : f0(n));
    const cpu = [f0(c.cpu.gen), opt(c.cpu.server), f0(c.cpu.mock), opt(c.cpu.db), f0(c.cpu.other)].join(' · ') + (noisy(c) ? ' ⚠' : '');
    rows.push(
      `| ${c.scenario.label} | ${TARGET_LABEL[c.target]} | ${f0(r.rps)} | ${f2(r.latency.p50)} | ${f2(r.latency.p99)} | ${f2(r.ttft?.p50)} | ${f2(r.ttft?.p99)} | ${errs} | ${c.target === 'direct' ? '' : pctOf(r.rps, same('direct')?.result.rps)} | ${c.target === 'direct' || c.target === 'passthrough' ? '' : pctOf(r.rps, same('passthrough')?.result.rps)} | ${cpu} |`,
    );
  }
  return rows.join('\n');
}

/** What a soak leaves in BENCHMARKS.md (as an HTML comment) for the checklist's RSS row. */
interface SoakData {
  requests: number;
  connections: number;
  startKb: number;
  /** The lowest sample (a post-GC trough) in the first and in the second half of the requests. */
  firstLowKb: number;
  secondLowKb: number;
  endKb: number;
  idleKb: number;
  peakKb: number;
  at: string;
}
const SOAK_DATA = /<!-- soak-data (\{.*\}) -->/;
const RSS_ROW = '| proxy RSS after a million requests:';
/**
 * "Flat": the lowest RSS of the second half of the soak is at most this above the lowest of the
 * first half. RSS is a GC sawtooth, so troughs are compared, not single samples.
 */
const FLAT_KB = 10 * 1024;

function readSoakData(): SoakData | undefined {
  if (!existsSync(BENCHMARKS)) return undefined;
  const m = SOAK_DATA.exec(readFileSync(BENCHMARKS, 'utf8'));
  try {
    return m ? (JSON.parse(m[1]) as SoakData) : undefined;
  } catch {
    return undefined;
  }
}

function rssRow(d: SoakData | undefined): string {
  if (!d || typeof d.firstLowKb !== 'number' || typeof d.secondLowKb !== 'number') {
    return `${RSS_ROW} flat, ≤ 150 MB (3) | no soak on record (or one from an older version of this script): \`npm run bench -- --rss-soak 1000000\` | – |`;
  }
  const growth = d.secondLowKb - d.firstLowKb;
  const ok = d.peakKb <= 150 * 1024 && growth <= FLAT_KB;
  const few = d.requests < 1_000_000 ? ` — only ${f0(d.requests)} requests, not a million` : '';
  return (
    `${RSS_ROW} flat, ≤ 150 MB (3) | **${mb(d.endKb)}** at the end (${mb(d.startKb)} at the start), peak **${mb(d.peakKb)}**; ` +
    `troughs ${mb(d.firstLowKb)} in the first half, ${mb(d.secondLowKb)} in the second (${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(1)} MB: ${growth <= FLAT_KB ? 'flat' : 'growing'}) ` +
    `after ${f0(d.requests)} requests; see "Latest RSS soak", ${d.at.slice(0, 10)}${few} | ${mark(ok)} |`
  );
}

/** The apart-ness of two rates: |1 − a/b|. */
const apart = (a: number, b: number): number => Math.abs(1 - a / b);

/**
 * With --repeat: a/b req/s in each repetition (the two cells ran a few seconds apart), e.g.
 * " (per repetition: 0.39 · 0.40 · 0.41)"; empty for a single run.
 */
function perRep(all: Cell[], sid: string, a: TargetName, b: TargetName): string {
  const reps = [...new Set(all.map((c) => c.rep))].sort((x, y) => x - y);
  if (reps.length < 2) return '';
  const at = (t: TargetName, r: number): Cell | undefined => all.find((c) => c.scenario.id === sid && c.target === t && c.rep === r);
  const ratios = reps.map((r) => {
    const x = at(a, r);
    const y = at(b, r);
    return x && y ? `${(x.result.rps / y.result.rps).toFixed(2)}${noisy(x) || noisy(y) ? '⚠' : ''}` : '–';
  });
  return ` (per repetition: ${ratios.join(' · ')})`;
}

function checklist(cells: Cell[], all: Cell[], soakData: SoakData | undefined, bootKb: number): string[] {
  const get = (s: string, t: TargetName): Cell | undefined => cells.find((c) => c.scenario.id === s && c.target === t);
  // The production configuration is the headline: a virtual key, spend logs on.
  const main: TargetName = cells.some((c) => c.target === 'proxy-vkey') ? 'proxy-vkey' : 'proxy';
  const others = (['proxy', 'proxy-vkey', 'proxy-nospend'] as TargetName[]).filter((t) => t !== main && cells.some((c) => c.target === t));
  const short: Record<string, string> = { proxy: 'master key', 'proxy-vkey': 'virtual key', 'proxy-nospend': 'spend logs off' };
  const rows = ['| target (issue) | measured | met |', '| --- | --- | :---: |'];

  const pt50 = get('50', 'passthrough');
  const m50 = get('50', main);
  if (m50 && pt50) {
    const ratio = m50.result.rps / pt50.result.rps;
    const asTarget = main === 'proxy-vkey' && !LOG_OVERRIDE;
    const rest = others
      .map((t) => get('50', t))
      .filter((c): c is Cell => c !== undefined)
      .map((c) => `${short[c.target]} ${pctOf(c.result.rps, pt50.result.rps)}`);
    rows.push(
      `| proxy req/s at 50 connections ≥ 60% of the pass-through's (3) | **${(ratio * 100).toFixed(0)}%** with a ${short[main]} (${f0(m50.result.rps)} vs ${f0(pt50.result.rps)} req/s)${perRep(all, '50', main, 'passthrough')}${rest.length ? `; ${rest.join(', ')}` : ''} | ${mark(ratio >= 0.6)} |`,
      `| the same with a virtual key, spend logs on, production logging ≥ 65% (13) | **${(ratio * 100).toFixed(0)}%**${asTarget ? '' : ' (not measured as the target says: a virtual key and logging as in production)'} | ${mark(asTarget && ratio >= 0.65)} |`,
    );
  }
  const pts50 = get('stream50', 'passthrough');
  const ms50 = get('stream50', main);
  if (ms50 && pts50) {
    const ratio = ms50.result.rps / pts50.result.rps;
    rows.push(
      `| streams at 50 connections ≥ 75% of the pass-through's req/s (13) | **${(ratio * 100).toFixed(0)}%** with a ${short[main]} (${f0(ms50.result.rps)} vs ${f0(pts50.result.rps)} req/s)${perRep(all, 'stream50', main, 'passthrough')} | ${mark(ratio >= 0.75)} |`,
    );
  }
  rows.push(
    `| proxy RSS right after boot ≤ 120 MB (13) | **${mb(bootKb)}** (VmRSS as soon as it answers /health/liveliness, before any load) | ${mark(bootKb <= 120 * 1024)} |`,
  );
  const d1 = get('1', 'direct');
  const m1 = get('1', main);
  if (m1 && d1) {
    const added = m1.result.latency.p50 - d1.result.latency.p50;
    const pt1 = get('1', 'passthrough');
    const hdr = m1.result.header;
    const rest = others
      .map((t) => get('1', t))
      .filter((c): c is Cell => c !== undefined)
      .map((c) => `${short[c.target]} ${signed(c.result.latency.p50 - d1.result.latency.p50)}`);
    const detail = [
      pt1 ? `${signed(m1.result.latency.p50 - pt1.result.latency.p50)} vs the pass-through` : '',
      hdr && hdr.count > 0 ? `its own x-litellm-overhead-duration-ms p50 ${hdr.p50.toFixed(3)} ms` : '',
    ].filter(Boolean);
    rows.push(
      `| added p50 latency at 1 connection ≤ 0.5 ms (3) | **${signed(added)}** vs direct${detail.length ? ` (${detail.join('; ')})` : ''}${rest.length ? `; ${rest.join(', ')}` : ''} | ${mark(added <= 0.5)} |`,
    );
  }
  for (const sid of ['stream1', 'stream50']) {
    const ds = get(sid, 'direct');
    const ms = get(sid, main);
    if (!ms?.result.ttft || !ds?.result.ttft) continue;
    const dt = ds.result.ttft.p50;
    const added = ms.result.ttft.p50 - dt;
    const pts = get(sid, 'passthrough');
    const rest = others
      .map((t) => get(sid, t))
      .filter((c): c is Cell => c?.result.ttft !== undefined)
      .map((c) => `${short[c.target]} ${signed((c.result.ttft as { p50: number }).p50 - dt)}`);
    rows.push(
      `| added time to first token ≤ 1 ms, ${ms.scenario.label} (3) | **${signed(added)}** vs direct${pts?.result.ttft ? ` (${signed(ms.result.ttft.p50 - pts.result.ttft.p50)} vs the pass-through)` : ''}${rest.length ? `; ${rest.join(', ')}` : ''} | ${mark(added <= 1)} |`,
    );
  }
  rows.push(rssRow(soakData));
  const v50 = get('50', 'proxy-vkey');
  const k50 = get('50', 'proxy');
  if (v50 && k50) {
    const a = apart(v50.result.rps, k50.result.rps);
    const v1 = get('1', 'proxy-vkey');
    const k1 = get('1', 'proxy');
    rows.push(
      `| a virtual key costs what the master key does, within 10% (4) | **${(a * 100).toFixed(1)}% apart** at 50 connections: virtual key ${f0(v50.result.rps)} req/s, master key ${f0(k50.result.rps)} (ratio ${(v50.result.rps / k50.result.rps).toFixed(2)}${perRep(all, '50', 'proxy-vkey', 'proxy').replace(' (', '; ').replace(/\)$/, '')})` +
        `${v1 && k1 ? `; p50 at 1 connection ${signed(v1.result.latency.p50 - k1.result.latency.p50)} for the virtual key` : ''} | ${mark(a < 0.1)} |`,
    );
  }
  const n50 = get('50', 'proxy-nospend');
  if (v50 && n50) {
    const a = apart(v50.result.rps, n50.result.rps);
    rows.push(
      `| proxy req/s with spend logs on vs off, under 10% apart (5) | **${(a * 100).toFixed(1)}% apart** at 50 connections: on ${f0(v50.result.rps)} req/s ÷ off ${f0(n50.result.rps)} = ${(v50.result.rps / n50.result.rps).toFixed(2)}${perRep(all, '50', 'proxy-vkey', 'proxy-nospend')} (both with a virtual key) | ${mark(a < 0.1)} |`,
    );
  }
  return rows;
}

// ---------------------------------------------------------------- the proxies

interface Proxy {
  child: Child;
  url: string;
  db: string;
  bootKb: number;
  vkey?: string;
  vkeyNote?: string;
  profileDir?: string;
  /** Requests sent through it (checks, priming, warm-ups, measured). */
  sent: number;
  /** Read from its database once it has stopped (spend flushed at SIGTERM). */
  spendRows?: number;
  keySpend?: number;
}

/** Creates a database, starts the built app on it and mints a virtual key (when the route exists). */
async function startProxy(
  name: string,
  dir: string,
  main: string,
  mockUrl: string,
  env: NodeJS.ProcessEnv,
  opts: { disableSpendLogs: boolean; onDb: (db: string) => void },
): Promise<Proxy> {
  const db = `mp_bench_${Date.now()}_${name.replace(/\W+/g, '_')}`;
  await adminQuery(`CREATE DATABASE ${db}`);
  opts.onDb(db);
  const home = join(dir, name);
  mkdirSync(home);
  const configPath = join(home, 'config.yaml');
  writeFileSync(configPath, proxyConfigYaml(ALIAS, UPSTREAM_MODEL, mockUrl, opts.disableSpendLogs ? ['general_settings:', '  disable_spend_logs: true'] : []));
  const port = await freePort();
  // Node's flags as production starts it (`npm run start:prod`), plus BENCH_NODE_FLAGS (later ones win).
  // No --enable-source-maps: production runs without it, and its cache is ~5 MB of RSS after boot.
  const argv = [...productionNodeFlags(), ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  let profileDir: string | undefined;
  if (args.profile) {
    profileDir = join(os.tmpdir(), `mp-bench-profile-${Date.now()}-${name}`);
    argv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  }
  argv.push(main);
  // No LOG_LEVEL: the default (info) writes one line per request, as in production.
  // BENCH_LOG_LEVEL=error measures the proxy without its per-request log line.
  const child = startChild(
    name,
    process.execPath,
    argv,
    {
      ...env,
      ...(LOG_OVERRIDE ? { LOG_LEVEL: LOG_OVERRIDE } : {}),
      ...Object.fromEntries(
        (process.env.BENCH_PROXY_ENV ?? '')
          .split(' ')
          .filter((kv) => kv.includes('='))
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
      ),
      ...proxyEnv({ db, masterKey: MASTER_KEY, saltKey: SALT_KEY, config: configPath, port, home }),
    },
    join(home, 'proxy.log'),
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/health/liveliness`);
  const bootKb = statusKb(child.pid, 'VmRSS');
  const p: Proxy = { child, url, db, bootKb, profileDir, sent: 0 };
  const r = await request(`${url}/key/generate`, { method: 'POST', headers: headersFor(MASTER_KEY), body: JSON.stringify({ key_alias: 'bench' }) });
  const text = await r.body.text();
  if (r.statusCode === 200) {
    p.vkey = (JSON.parse(text) as { key?: string }).key;
    if (!p.vkey) p.vkeyNote = `POST /key/generate answered without a key: ${text.slice(0, 200)}`;
  } else {
    p.vkeyNote = `POST /key/generate answered HTTP ${r.statusCode}${r.statusCode === 404 ? ' (not built yet)' : `: ${text.slice(0, 200)}`}: the virtual-key rows are skipped`;
  }
  if (p.vkeyNote) log(`note: ${name}: ${p.vkeyNote}`);
  log(`${name}: ${url} (pid ${child.pid}, ${mb(bootKb)} after boot), database ${db}, log ${child.logFile}`);
  return p;
}

/** Spend-log rows and the virtual key's booked spend, read once the proxy has flushed and stopped. */
async function readSpend(p: Proxy): Promise<void> {
  try {
    const c = new pg.Client({ connectionString: dbUrl(p.db) });
    await c.connect();
    try {
      const r = await c.query<{ n: string; spend: number | null }>(
        `SELECT (SELECT count(*) FROM "LiteLLM_SpendLogs")::text AS n, (SELECT sum(spend) FROM "LiteLLM_VerificationToken" WHERE key_alias = 'bench')::float8 AS spend`,
      );
      p.spendRows = Number(r.rows[0]?.n);
      p.keySpend = r.rows[0]?.spend ?? undefined;
    } finally {
      await c.end();
    }
  } catch (e) {
    log(`could not read spend from ${p.db}: ${(e as Error).message}`);
  }
}

function logNote(p: Proxy, label: string): string {
  const s = logStats(p.child.logFile);
  return s ? `${label} wrote ${f0(s.lines)} log lines (${(s.bytes / 2 ** 20).toFixed(1)} MB) to its log file` : '';
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const m = machine();
  const machineLine = `${m.cores} cores (${m.cpu}), ${m.memGb} GB RAM, Node ${m.node}, ${m.kernel}`;
  log(`machine: ${machineLine}`);
  const loadAtStart = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  log(`load average: ${loadAtStart}${Number(loadAtStart) >= 1 ? ' — the machine is busy: figures will be rough' : ''}`);
  if (m.cores <= 2) log(`note: only ${m.cores} cores: the load generator competes with the mock, the proxy and PostgreSQL for CPU; read ratios, not absolutes`);
  const buildNote = ensureBuild(args.build ?? false);

  const dir = mkdtempSync(join(os.tmpdir(), 'mp-bench-'));
  const dbs: string[] = [];
  const proxies: Proxy[] = [];
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(children.map(stopChild));
    for (const p of proxies) await readSpend(p);
    for (const db of dbs) {
      await adminQuery(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch((e: unknown) => log(`could not drop ${db}: ${(e as Error).message}`));
    }
  };
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    log('interrupted: cleaning up');
    void cleanup().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  });

  try {
    const childEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG };
    const mock = startChild('mock vLLM', process.execPath, tsxArgs('bench/mock.ts', ['--port', '0', '--model', UPSTREAM_MODEL]), childEnv);
    const mockUrl = await waitForUrl(mock);
    const pt = startChild('pass-through', process.execPath, tsxArgs('bench/passthrough.ts', ['--port', '0', '--target', mockUrl]), childEnv);
    const ptUrl = await waitForUrl(pt);
    log(`mock ${mockUrl} (pid ${mock.pid}), pass-through ${ptUrl} (pid ${pt.pid})`);

    const appMain = snapshotBuild(join(dir, 'app'));
    const onDb = (db: string): void => {
      dbs.push(db);
    };
    const proxy = await startProxy('proxy', dir, appMain, mockUrl, childEnv, { disableSpendLogs: false, onDb });
    proxies.push(proxy);
    // The second proxy only for the matrix, and only when asked for.
    const nospend =
      soakN === undefined && wantedTargets.includes('proxy-nospend')
        ? await startProxy('proxy-nospend', dir, appMain, mockUrl, childEnv, { disableSpendLogs: true, onDb })
        : undefined;
    if (nospend) proxies.push(nospend);

    const allTargets: Target[] = [
      { name: 'direct', origin: mockUrl, key: MASTER_KEY, model: UPSTREAM_MODEL },
      { name: 'passthrough', origin: ptUrl, key: MASTER_KEY, model: UPSTREAM_MODEL, server: pt },
      { name: 'proxy', origin: proxy.url, key: MASTER_KEY, model: ALIAS, server: proxy.child, db: proxy.db },
    ];
    if (proxy.vkey) allTargets.push({ name: 'proxy-vkey', origin: proxy.url, key: proxy.vkey, model: ALIAS, server: proxy.child, db: proxy.db });
    if (nospend?.vkey) allTargets.push({ name: 'proxy-nospend', origin: nospend.url, key: nospend.vkey, model: ALIAS, server: nospend.child, db: nospend.db });
    const targets = allTargets.filter((t) => wantedTargets.includes(t.name));
    const proxyOf = (t: Target): Proxy | undefined => proxies.find((p) => p.child === t.server);
    for (const t of targets) {
      await sanity(t);
      const p = proxyOf(t);
      if (p) p.sent += 2;
    }

    if (soakN !== undefined) {
      const t = targets.find((x) => x.name === 'proxy-vkey') ?? (allTargets.find((x) => x.name === 'proxy') as Target);
      await soak(t, proxy, soakN, machineLine, loadAtStart, buildNote, cleanup);
      return;
    }

    // Prime every target once (JIT, pools, caches) so the first cell to hit a fresh process does not pay for it.
    log('priming every target...');
    for (const t of targets) {
      for (const stream of [false, true]) {
        const r = await runLoad({
          origin: t.origin,
          path: '/v1/chat/completions',
          headers: headersFor(t.key),
          body: bodyFor(t.model, stream),
          connections: 50,
          durationMs: warmupS * 1000,
          stream,
        });
        const p = proxyOf(t);
        if (p) p.sent += r.sent;
      }
    }

    // With --repeat, a repetition is the whole matrix: the runs of one cell are minutes apart, so a
    // burst of other work on the machine spoils one of them, not all; the targets of a scenario stay
    // side by side, so their ratios compare like with like.
    const all: Cell[] = [];
    for (let rep = 0; rep < repeat; rep++) {
      if (repeat > 1) log(`repetition ${rep + 1} of ${repeat}`);
      for (const s of scenarios) {
        for (const t of targets) {
          const cell = await runCell(s, t, mock, rep);
          all.push(cell);
          const p = proxyOf(t);
          if (p) p.sent += cell.result.sent;
          const r = cell.result;
          const opt = (n: number | undefined): string => (n === undefined ? '–' : f0(n));
          log(
            `${s.label.padEnd(20)} ${TARGET_LABEL[t.name].padEnd(36)} ${f0(r.rps).padStart(7)} req/s  p50 ${f2(r.latency.p50)}  p99 ${f2(r.latency.p99)} ms` +
              (r.ttft ? `  TTFT p50 ${f2(r.ttft.p50)} p99 ${f2(r.ttft.p99)}` : '') +
              `  errors ${r.errors}  cpu% gen ${f0(cell.cpu.gen)} server ${opt(cell.cpu.server)} mock ${f0(cell.cpu.mock)} db ${opt(cell.cpu.db)} other ${f0(cell.cpu.other)}`,
          );
        }
      }
    }
    log('');
    // With --repeat, each (scenario, target) is reported by its median run by req/s, among the runs
    // other processes left alone when there is at least one.
    const cells: Cell[] = [];
    let dropped = 0;
    for (const s of scenarios) {
      for (const t of targets) {
        const runs = all.filter((c) => c.scenario === s && c.target === t.name).sort((a, b) => a.result.rps - b.result.rps);
        const quiet = runs.filter((c) => !noisy(c));
        const pool = quiet.length ? quiet : runs;
        dropped += runs.length - pool.length;
        cells.push(pool[Math.floor(pool.length / 2)]);
      }
    }
    const noisyLeft = cells.filter(noisy).length;
    const otherMax = Math.max(...all.map((c) => c.cpu.other));
    const proxyMeasured = targets.some((t) => t.server === proxy.child);
    const rss = proxyMeasured
      ? {
          kb: statusKb(proxy.child.pid, 'VmRSS'),
          hwm: statusKb(proxy.child.pid, 'VmHWM'),
          anon: statusKb(proxy.child.pid, 'RssAnon'),
          file: statusKb(proxy.child.pid, 'RssFile'),
        }
      : undefined;

    await cleanup();

    const repeatsNote =
      repeat > 1
        ? `, each cell run ${repeat} times interleaved and reported by its median req/s among the runs where other processes used ≤ ${NOISY_OTHER}% of a core (${dropped} of ${all.length} runs set aside)`
        : '';
    const spendNote = (p: Proxy, label: string, logsOn: boolean): string => {
      if (p.spendRows === undefined) return '';
      const perReq = p.keySpend !== undefined ? `; the virtual key's spend booked: $${p.keySpend.toFixed(6)}` : '';
      return logsOn
        ? `${label}: ${f0(p.spendRows)} spend-log rows for ${f0(p.sent)} requests sent through it (checks, priming and warm-ups included)${perReq}.`
        : `${label}: ${f0(p.spendRows)} spend-log rows for ${f0(p.sent)} requests (all by its virtual key)${perReq} — totals booked, no rows, as the setting says.`;
    };
    const notes = [
      `Machine: ${machineLine}.`,
      m.cores <= 2
        ? `Only ${m.cores} cores for five busy processes (load generator, mock, pass-through or proxy, PostgreSQL): every 50-connection cell is CPU-bound, and the generator's CPU share is in every figure. CPU % is of one core (${m.cores * 100}% is all of them).`
        : `CPU % is of one core (${m.cores * 100}% is all of them).`,
      `Command: \`${commandLine()}\` — ${durationS} s measured per cell after ${warmupS} s of warm-up (and a priming pass per target)${repeatsNote}; ${new Date().toISOString()}; commit ${gitHead()}, proxy from ${buildNote}.`,
      `Load from other processes: 1-min load average ${loadAtStart} at the start; up to ${f0(otherMax)}% of a core during a cell ("other" column)` +
        (noisyLeft
          ? `; ${noisyLeft} reported cell(s) marked ⚠ had more than ${NOISY_OTHER}% — treat those as rough`
          : otherMax > NOISY_OTHER
            ? '; the busy runs were set aside'
            : '') +
        '.',
      proxy.vkeyNote
        ? `Virtual key: ${proxy.vkeyNote}.`
        : 'Virtual keys: minted with POST /key/generate on each proxy; model prices set, so every request books spend.',
      `${LOG_OVERRIDE ? `Logging NOT as in production: BENCH_LOG_LEVEL=${LOG_OVERRIDE}, to a file` : 'Logging as in production (level info, one JSON line per request, to a file)'}: ${[logNote(proxy, 'the proxy'), nospend ? logNote(nospend, 'the spend-logs-off proxy') : ''].filter(Boolean).join('; ')}.`,
      spendNote(proxy, 'Spend logs on (the proxy)', true),
      nospend ? spendNote(nospend, 'Spend logs off (`general_settings.disable_spend_logs: true`)', false) : '',
    ].filter(Boolean);
    const rssLine = rss
      ? `Proxy RSS after this run: ${mb(rss.kb)} (${mb(rss.anon)} anonymous, ${mb(rss.file)} file-backed; peak ${mb(rss.hwm)}; ${mb(proxy.bootKb)} right after boot). The million-request figure is the soak's, below.`
      : '';
    const out = [
      ...notes,
      '',
      '### Checklist',
      '',
      ...checklist(cells, all, readSoakData(), proxy.bootKb),
      '',
      rssLine,
      '',
      '### All cells',
      '',
      table(cells),
    ].join('\n');
    console.log(`\n${out}\n`);
    if (!args['no-write'] && !args.profile && args.scenarios === undefined && args.targets === undefined) {
      writeSection('Latest run', out);
      log(`wrote "Latest run" in ${BENCHMARKS}`);
    } else if (!args['no-write']) {
      log('not writing BENCHMARKS.md: partial or profiled run');
    }
    for (const p of proxies) {
      if (!p.profileDir) continue;
      const windows = all.filter((c) => targets.find((t) => t.name === c.target)?.server === p.child).map((c) => c.window);
      console.log(`\n### ${p.child.name}: hottest functions in the measured windows\n`);
      printProfile(p.profileDir, join(dir, 'app'), windows);
    }
  } finally {
    if (!interrupted) {
      await cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

function printProfile(dir: string, appRoot: string, windows: Window[]): void {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  if (files.length === 0) {
    log(`no .cpuprofile in ${dir}`);
    return;
  }
  const newest = files.map((f) => join(dir, f)).sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  console.log(formatTop(newest, 25, appRoot, windows));
  log(`profile kept at ${newest} (summarise again: npx tsx bench/cpuprofile-top.ts FILE 40; paths then point at the deleted dist copy)`);
}

async function soak(
  t: Target,
  proxy: Proxy,
  n: number,
  machineLine: string,
  loadAtStart: string,
  buildNote: string,
  cleanup: () => Promise<void>,
): Promise<void> {
  const pid = proxy.child.pid;
  log(`RSS soak: ${f0(n)} requests through ${TARGET_LABEL[t.name]} at ${soakConnections} connections (1 in 10 streamed)`);
  const samples: { s: number; done: number; kb: number }[] = [];
  const progress = { finished: 0 };
  const t0 = performance.now();
  const sample = (): void => {
    const s = { s: (performance.now() - t0) / 1000, done: progress.finished, kb: statusKb(pid, 'VmRSS') };
    samples.push(s);
    log(`  ${s.s.toFixed(0).padStart(5)} s  ${f0(s.done).padStart(10)} requests  RSS ${mb(s.kb)}`);
  };
  sample();
  const timer = setInterval(sample, 10_000);
  const plain = bodyFor(t.model, false);
  const streamed = bodyFor(t.model, true, true);
  const result = await runLoad({
    origin: t.origin,
    path: '/v1/chat/completions',
    headers: headersFor(t.key),
    body: (i) => (i % 10 === 9 ? streamed : plain),
    stream: (i) => i % 10 === 9,
    connections: soakConnections,
    durationMs: 0,
    maxRequests: n,
    progress,
  });
  clearInterval(timer);
  sample();
  // Idle for a moment: what is left once the work is done.
  await new Promise((r) => setTimeout(r, 5_000));
  sample();
  const hwm = statusKb(pid, 'VmHWM');
  const anon = statusKb(pid, 'RssAnon');
  const file = statusKb(pid, 'RssFile');
  proxy.sent += result.sent;
  await cleanup();
  const start = samples[0].kb;
  const peak = Math.max(...samples.map((s) => s.kb), hwm);
  const end = samples[samples.length - 2].kb;
  const idle = samples[samples.length - 1].kb;
  // The samples taken under load (not the one before the first request, not the idle one).
  const loaded = samples.slice(1, -1);
  const low = (xs: typeof samples): number => Math.min(...xs.map((s) => s.kb));
  const firstHalf = loaded.filter((s) => s.done <= n / 2);
  const secondHalf = loaded.filter((s) => s.done > n / 2);
  const firstLow = firstHalf.length ? low(firstHalf) : start;
  const secondLow = secondHalf.length ? low(secondHalf) : end;
  const data: SoakData = {
    requests: result.completed,
    connections: soakConnections,
    startKb: start,
    firstLowKb: firstLow,
    secondLowKb: secondLow,
    endKb: end,
    idleKb: idle,
    peakKb: peak,
    at: new Date().toISOString(),
  };
  const growth = secondLow - firstLow;
  const ok = peak <= 150 * 1024 && growth <= FLAT_KB;
  const out = [
    `Machine: ${machineLine}.`,
    `Command: \`${commandLine()}\`; ${data.at}; commit ${gitHead()}, proxy from ${buildNote}; 1-min load average ${loadAtStart} at the start.`,
    `${f0(result.completed)} requests through ${TARGET_LABEL[t.name]}${proxy.vkeyNote ? ` (${proxy.vkeyNote})` : ''} at ${soakConnections} connections, 1 in 10 streamed, in ${result.seconds.toFixed(0)} s (${f0(result.rps)} req/s), ${result.errors} errors${
      result.errors
        ? ` (${Object.entries(result.errorKinds)
            .map(([k, v]) => `${k} ×${v}`)
            .join('; ')})`
        : ''
    }; spend logs on, logging ${LOG_OVERRIDE ? `at ${LOG_OVERRIDE} (BENCH_LOG_LEVEL, not production)` : 'at info'} to a file.`,
    [
      logNote(proxy, 'The proxy'),
      proxy.spendRows !== undefined ? `${f0(proxy.spendRows)} spend-log rows for ${f0(proxy.sent)} requests sent (checks included)` : '',
    ]
      .filter(Boolean)
      .join('; ') + '.',
    '',
    `Proxy RSS: right after boot **${mb(proxy.bootKb)}**; start **${mb(start)}**, end **${mb(end)}**, peak **${mb(peak)}** (VmHWM, between samples too), 5 s idle after **${mb(idle)}** (${mb(anon)} anonymous, ${mb(file)} file-backed). ` +
      `Lowest sample (post-GC trough) ${mb(firstLow)} in the first half, ${mb(secondLow)} in the second: ${growth >= 0 ? '+' : ''}${(growth / 1024).toFixed(1)} MB, ${growth <= FLAT_KB ? 'flat' : 'growing'}. ` +
      `Target ≤ 150 MB and flat${check(ok)}`,
    '',
    `Samples (s, requests done, RSS MB): ${samples.map((s) => `${s.s.toFixed(0)}/${s.done}/${(s.kb / 1024).toFixed(0)}`).join(', ')}`,
    '',
    `<!-- soak-data ${JSON.stringify(data)} -->`,
  ].join('\n');
  console.log(`\n${out}\n`);
  if (!args['no-write']) {
    writeSection('Latest RSS soak', out);
    // The checklist's RSS row follows the latest soak.
    const text = readFileSync(BENCHMARKS, 'utf8');
    const lines = text.split('\n');
    const i = lines.findIndex((l) => l.startsWith(RSS_ROW));
    if (i !== -1) {
      lines[i] = rssRow(data);
      writeFileSync(BENCHMARKS, lines.join('\n'));
    }
    log(`wrote "Latest RSS soak" (and the checklist's RSS row) in ${BENCHMARKS}`);
  }
}

const soakMinutes = positive(args['soak-minutes'], 'soak-minutes', 10);
const soakOptions = { minutes: soakMinutes, build: args.build ?? false, noWrite: args['no-write'] ?? false };
const routingOptions = {
  durationS: positive(args.duration, 'duration', 20),
  warmupS: positive(args.warmup, 'warmup', 3),
  build: args.build ?? false,
  noWrite: args['no-write'] ?? false,
};
const run = args['money-soak'] ? moneySoak(soakOptions) : args['chaos-soak'] ? chaosSoak(soakOptions) : args.routing ? routingBench(routingOptions) : main();
run.catch((err: unknown) => {
  console.error(`bench failed: ${(err as Error)?.stack ?? String(err)}`);
  process.exitCode = 1;
});
