// Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time, with
// file:line, and the same summed per file.
// Frames in built files with a .js.map beside them are shown at their TypeScript source (src/...:line).
//   tsx bench/cpuprofile-top.ts PROFILE.cpuprofile [N] [ROOT]   (ROOT: where dist/ was, default .)
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapping, type SourceMapPayload } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface HotSpot {
  where: string;
  fn: string;
  selfMs: number;
  pct: number;
}

const maps = new Map<string, SourceMap | null>();

function sourceMapFor(file: string): SourceMap | null {
  let m = maps.get(file);
  if (m === undefined) {
    m = null;
    const mapFile = `${file}.map`;
    if (existsSync(mapFile)) {
      try {
        m = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as SourceMapPayload);
      } catch {
        m = null;
      }
    }
    maps.set(file, m);
  }
  return m;
}

function shorten(path: string, root: string): string {
  const rel = relative(root, path);
  return rel.startsWith('..') ? path : rel;
}

/** file:line:col of a frame, mapped back to the TypeScript source when the built file has a .map beside it. */
function locate(f: CallFrame, root: string): { file: string; where: string } {
  if (f.url === '') return { file: '(native)', where: '(native)' };
  if (!f.url.startsWith('file://')) return { file: f.url, where: `${f.url}:${f.lineNumber + 1}:${f.columnNumber + 1}` };
  const path = fileURLToPath(f.url);
  const map = path.includes('/node_modules/') ? null : sourceMapFor(path);
  const found = map && f.lineNumber >= 0 ? map.findEntry(f.lineNumber, Math.max(0, f.columnNumber)) : undefined;
  const e = found && 'originalSource' in found ? (found as SourceMapping) : undefined;
  if (e?.originalSource) {
    const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : resolve(dirname(path), e.originalSource);
    const file = shorten(src, root);
    return { file, where: `${file}:${e.originalLine + 1}:${e.originalColumn + 1}` };
  }
  const file = shorten(path, root);
  return { file, where: `${file}:${f.lineNumber + 1}:${f.columnNumber + 1}` };
}

/** A time window on the monotonic clock, in µs (process.hrtime.bigint() / 1000n: the clock V8's profiler stamps with on Linux). */
export interface Window {
  from: number;
  to: number;
}

/**
 * Self time per function (ms) from the samples, heaviest first; idle and GC included as V8 names them.
 * With `windows`, only samples taken inside them count (e.g. the measured part of a benchmark cell,
 * leaving out startup and warm-up); if none falls inside, every sample counts and `windowed` is false.
 */
export interface TopReport {
  /** ms sampled */
  total: number;
  windowed: boolean;
  functions: HotSpot[];
  files: HotSpot[];
  /** Inclusive time (self + callees) of the app's own functions (src/), heaviest first; `selfMs` holds the inclusive ms. */
  appInclusive: HotSpot[];
  /** The three heaviest native frames (e.g. writev) split by their nearest caller in src/ or node_modules/. */
  nativeCallers: { native: string; callers: HotSpot[] }[];
}

export function topSelf(path: string, n = 15, root = process.cwd(), windows?: Window[]): TopReport {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of p.nodes) {
    byId.set(node.id, node);
    for (const c of node.children ?? []) parent.set(c, node.id);
  }
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  // timeDeltas[i] is the gap before sample i; the time is charged to the sample it ends.
  const tally = (inWindow: (t: number) => boolean): void => {
    let t = p.startTime;
    for (let i = 0; i < samples.length; i++) {
      t += deltas[i] ?? 0;
      if (inWindow(t)) selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
    }
  };
  let windowed = false;
  if (windows && windows.length > 0) {
    tally((t) => windows.some((w) => t >= w.from && t <= w.to));
    windowed = selfUs.size > 0;
  }
  if (!windowed) tally(() => true);
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, HotSpot>();
  const files = new Map<string, HotSpot>();
  for (const [id, us] of selfUs) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const { file, where } = locate(f, root);
    const name = f.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const e = fns.get(key) ?? { where, fn: name, selfMs: 0, pct: 0 };
    e.selfMs += us / 1000;
    fns.set(key, e);
    const fe = files.get(file) ?? { where: file, fn: '', selfMs: 0, pct: 0 };
    fe.selfMs += us / 1000;
    files.set(file, fe);
  }
  const finish = (m: Map<string, HotSpot>): HotSpot[] =>
    [...m.values()]
      .map((e) => ({ ...e, pct: total > 0 ? (e.selfMs * 1000 * 100) / total : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, n);
  // Inclusive time of src/ functions: each sample counts once for every distinct src/ frame on its stack.
  const located = new Map<number, { file: string; where: string; fn: string }>();
  const loc = (id: number): { file: string; where: string; fn: string } => {
    let l = located.get(id);
    if (!l) {
      const f = (byId.get(id) as ProfileNode).callFrame;
      l = { ...locate(f, root), fn: f.functionName || '(anonymous)' };
      located.set(id, l);
    }
    return l;
  };
  const incl = new Map<string, HotSpot>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = loc(cur);
      if (!l.file.startsWith('src/')) continue;
      const key = `${l.fn}@${l.where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const e = incl.get(key) ?? { where: l.where, fn: l.fn, selfMs: 0, pct: 0 };
      e.selfMs += us / 1000;
      incl.set(key, e);
    }
  }
  // Who calls the heaviest native functions: the nearest frame that is ours or a library's.
  const heavyNatives = [...fns.values()]
    .filter((e) => e.where === '(native)' && !e.fn.startsWith('('))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, 3);
  const nativeCallers: TopReport['nativeCallers'] = heavyNatives.map((heavy) => {
    const callers = new Map<string, HotSpot>();
    for (const [id, us] of selfUs) {
      if ((byId.get(id) as ProfileNode).callFrame.functionName !== heavy.fn || loc(id).file !== '(native)') continue;
      let who = '(only Node internals on the stack)';
      let fn = '';
      for (let cur = parent.get(id); cur !== undefined; cur = parent.get(cur)) {
        const l = loc(cur);
        if (l.file.startsWith('src/') || l.file.includes('node_modules/')) {
          who = l.where;
          fn = l.fn;
          break;
        }
      }
      const key = `${fn}@${who}`;
      const e = callers.get(key) ?? { where: who, fn, selfMs: 0, pct: 0 };
      e.selfMs += us / 1000;
      callers.set(key, e);
    }
    return { native: heavy.fn, callers: finish(callers).slice(0, 6) };
  });
  return { total: total / 1000, windowed, functions: finish(fns), files: finish(files), appInclusive: finish(incl), nativeCallers };
}

export function formatTop(path: string, n = 15, root = process.cwd(), windows?: Window[]): string {
  const { total, windowed, functions, files, appInclusive, nativeCallers } = topSelf(path, n, root, windows);
  const scope = windowed ? 'inside the measured windows' : windows ? 'whole process (no sample fell inside the measured windows)' : 'whole process';
  const lines = [`CPU profile ${path}: ${(total / 1000).toFixed(1)} s sampled, ${scope}`, '', 'top self time by function:'];
  for (const f of functions) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.fn}  ${f.where}`);
  lines.push('', 'top self time by file:');
  for (const f of files) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.where}`);
  lines.push('', "inclusive time (self + callees) of the app's own functions (src/):");
  for (const f of appInclusive) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.fn}  ${f.where}`);
  for (const nc of nativeCallers) {
    lines.push('', `${nc.native} (native) by nearest caller in src/ or node_modules/:`);
    for (const f of nc.callers) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.fn ? `${f.fn}  ` : ''}${f.where}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/cpuprofile-top.ts PROFILE.cpuprofile [N]');
    process.exit(2);
  }
  console.log(formatTop(file, Number(process.argv[3] ?? 20), resolve(process.argv[4] ?? '.')));
}
