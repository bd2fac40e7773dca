// A/B of two builds of the proxy (or one build under two sets of Node flags) by CPU time per request,
// next to the pass-through, all running at once and measured in interleaved rounds. On a shared
// machine req/s moves with the neighbours; the CPU a process spends per request moves much less, so
// this is the figure to compare changes by when `npm run bench` cannot get a quiet machine.
//   tsx bench/cpu-ab.ts --a DIST_DIR_A --b DIST_DIR_B [--flags-a="..."] [--flags-b="--max-semi-space-size=4"]
//       [--rounds 5] [--seconds 4] [--connections 50] [--stream]
// A DIST_DIR is a copy of dist/ (cp -r dist /tmp/dist-a). Virtual key, spend logs on, logging at info
// to a file, as `npm run bench` runs the proxy. Prints per target the median over rounds of: req/s,
// the server's CPU µs per request, its PostgreSQL backends' CPU µs per request.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import * as h from './harness.js';
import { runLoad } from './load.js';
import { childEnv, startMock } from './services.js';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    'flags-a': { type: 'string', default: '' },
    'flags-b': { type: 'string', default: '' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '4' },
    connections: { type: 'string', default: '50' },
    stream: { type: 'boolean', default: false },
  },
});
if (!args.a || !args.b) throw new Error('--a DIST_DIR and --b DIST_DIR are required');

const MASTER = 'sk-cpu-ab-master';
const ALIAS = 'bench-model';
const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Target {
  name: string;
  pid: number;
  origin: string;
  key: string;
  db?: string;
}

/** CPU seconds of the PostgreSQL backends serving `db`. */
function dbCpu(db: string | undefined): number {
  if (!db) return 0;
  let s = 0;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const title = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      if (title.startsWith('postgres:') && title.includes(` ${db} `)) s += h.cpuSeconds(Number(e)) || 0;
    } catch {
      /* gone */
    }
  }
  return s;
}

async function startProxy(name: string, dir: string, home: string, mockUrl: string, flags: string, dbs: string[]): Promise<Target> {
  // A copy of the build beside links to node_modules and package.json, so it resolves as dist/ does.
  const root = join(home, 'app');
  mkdirSync(root, { recursive: true });
  cpSync(dir, join(root, 'dist'), { recursive: true });
  symlinkSync(join(h.ROOT, 'node_modules'), join(root, 'node_modules'));
  symlinkSync(join(h.ROOT, 'package.json'), join(root, 'package.json'));
  const db = `mp_cpuab_${Date.now()}_${name.toLowerCase()}`;
  await h.adminQuery(`CREATE DATABASE ${db}`);
  // Dropped at the end even when this proxy fails to start.
  dbs.push(db);
  const config = join(home, 'config.yaml');
  writeFileSync(config, h.proxyConfigYaml(ALIAS, 'bench/mock-model', mockUrl));
  const port = await h.freePort();
  const child = h.startChild(
    name,
    process.execPath,
    [...h.productionNodeFlags(), ...flags.split(' ').filter(Boolean), join(root, 'dist/src/main.js')],
    {
      ...childEnv(),
      ...h.proxyEnv({ db, masterKey: MASTER, saltKey: 'sk-cpu-ab-salt-0123456789', config, port, home }),
    },
    join(home, 'proxy.log'),
  );
  const origin = `http://127.0.0.1:${port}`;
  await h.waitForHttp(child, `${origin}/health/liveliness`);
  h.log(`${name}: ${dir} ${flags} — ${(h.statusKb(child.pid, 'VmRSS') / 1024).toFixed(1)} MB after boot`);
  const r = await request(`${origin}/key/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER}` },
    body: JSON.stringify({ key_alias: 'ab' }),
  });
  const key = ((await r.body.json()) as { key: string }).key;
  return { name, pid: child.pid, origin, key, db };
}

function body(model: string): Buffer {
  const b: Record<string, unknown> = { model, messages: [{ role: 'user', content: 'Say hello to the benchmark' }] };
  if (args.stream) Object.assign(b, { max_tokens: 8, stream: true, mock: { ttft_ms: 0, inter_token_ms: 5 } });
  else b.max_tokens = 16;
  return Buffer.from(JSON.stringify(b));
}

async function measure(t: Target): Promise<{ rps: number; cpuUs: number; sysUs: number; dbUs: number }> {
  let c0 = 0;
  let s0 = 0;
  let d0 = 0;
  const r = await runLoad({
    origin: t.origin,
    path: '/v1/chat/completions',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key}` },
    body: body(t.db ? ALIAS : 'bench/mock-model'),
    connections: Number(args.connections),
    durationMs: Number(args.seconds) * 1000,
    warmupMs: 1000,
    stream: args.stream,
    onMeasureStart: () => {
      ({ user: c0, system: s0 } = h.cpuTimes(t.pid));
      c0 += s0;
      d0 = dbCpu(t.db);
    },
  });
  const { user, system: s1 } = h.cpuTimes(t.pid);
  const c1 = user + s1;
  const d1 = dbCpu(t.db);
  if (r.errors) h.log(`${t.name}: ${r.errors} errors ${JSON.stringify(r.errorKinds)}`);
  return { rps: r.rps, cpuUs: ((c1 - c0) * 1e6) / r.completed, sysUs: ((s1 - s0) * 1e6) / r.completed, dbUs: t.db ? ((d1 - d0) * 1e6) / r.completed : 0 };
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(os.tmpdir(), 'mp-cpu-ab-'));
  const mock = await startMock('mock', 0, 'bench/mock-model');
  const pt = h.startChild('pass-through', process.execPath, h.tsxArgs('bench/passthrough.ts', ['--port', '0', '--target', mock.url]), childEnv());
  const targets: Target[] = [{ name: 'pass-through', pid: pt.pid, origin: await h.waitForUrl(pt), key: 'none' }];
  const dbs: string[] = [];
  try {
    for (const [name, dir, flags] of [
      ['A', args.a!, args['flags-a']!],
      ['B', args.b!, args['flags-b']!],
    ] as const) {
      mkdirSync(join(home, name));
      const t = await startProxy(name, dir, join(home, name), mock.url, flags, dbs);
      targets.push(t);
    }
    const rows = new Map<string, Array<{ rps: number; cpuUs: number; sysUs: number; dbUs: number }>>(targets.map((t) => [t.name, []]));
    for (const t of targets) await measure(t); // priming
    for (let round = 0; round < Number(args.rounds); round++) {
      // Rotated, so no target always runs first or last.
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + round) % targets.length];
        const m = await measure(t);
        rows.get(t.name)!.push(m);
        h.log(
          `round ${round + 1} ${t.name.padEnd(12)} ${m.rps.toFixed(0).padStart(6)} req/s  cpu ${m.cpuUs.toFixed(0).padStart(5)} µs/req (kernel ${m.sysUs.toFixed(0).padStart(4)})  db ${m.dbUs.toFixed(0).padStart(4)} µs/req`,
        );
      }
    }
    const pass = rows.get('pass-through')!;
    h.log(`medians over ${args.rounds} rounds (${args.stream ? 'stream' : 'non-stream'}, ${args.connections} connections):`);
    for (const t of targets) {
      const r = rows.get(t.name)!;
      const ratio = t.db
        ? ` · req/s vs pass-through per round: ${r.map((x, i) => (x.rps / pass[i].rps).toFixed(2)).join(' ')} (median ${median(r.map((x, i) => x.rps / pass[i].rps)).toFixed(2)})`
        : '';
      h.log(
        `  ${t.name.padEnd(12)} ${median(r.map((x) => x.rps)).toFixed(0)} req/s, cpu ${median(r.map((x) => x.cpuUs)).toFixed(0)} µs/req (kernel ${median(r.map((x) => x.sysUs)).toFixed(0)}), db ${median(r.map((x) => x.dbUs)).toFixed(0)} µs/req${ratio}`,
      );
    }
    const a = rows.get('A')!;
    const b = rows.get('B')!;
    h.log(
      `  B ÷ A cpu per round: ${b.map((x, i) => (x.cpuUs / a[i].cpuUs).toFixed(2)).join(' ')} (median ${median(b.map((x, i) => x.cpuUs / a[i].cpuUs)).toFixed(2)})`,
    );
    for (const t of targets.slice(1))
      h.log(`  ${t.name} RSS at the end ${(h.statusKb(t.pid, 'VmRSS') / 1024).toFixed(1)} MB, peak ${(h.statusKb(t.pid, 'VmHWM') / 1024).toFixed(1)} MB`);
  } finally {
    for (const c of [...h.children].reverse()) await h.stopChild(c);
    for (const db of dbs) await h.adminQuery(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
