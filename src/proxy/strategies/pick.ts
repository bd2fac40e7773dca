import type { DeploymentConfig } from '../../config/config.types.js';
import { pickRandom } from './route-hint.js';

/** Deployments scored lower are preferred; every function here returns one of `candidates` (non-empty). */
export type Score = (d: DeploymentConfig) => number;

/** least-busy: the lowest load; ties go to the emptier KV cache, then at random. */
export function leastBusy(candidates: readonly DeploymentConfig[], load: Score, kvCache: Score): DeploymentConfig {
  let best: DeploymentConfig[] = [];
  let min = Infinity;
  let minKv = Infinity;
  for (const d of candidates) {
    const l = load(d);
    const kv = kvCache(d);
    if (l < min || (l === min && kv < minKv)) {
      min = l;
      minKv = kv;
      best = [d];
    } else if (l === min && kv === minKv) best.push(d);
  }
  return pickRandom(best);
}

/** FNV-1a of the session and the deployment id: rendezvous hashing, so a deployment leaving moves only its own sessions. */
function weight(session: string, id: string): number {
  let h = 0x811c9dc5;
  const s = `${session}\n${id}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 13;
  h = Math.imul(h, 0x5bd1e995);
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * Session affinity: the session's home deployment (highest rendezvous weight among the candidates),
 * while its load is within `maxImbalance` of the least loaded one's; otherwise undefined (overflow:
 * the strategy picks). Only the requests of an overloaded home move; its other sessions return when it drains.
 */
export function sessionHome(session: string, candidates: readonly DeploymentConfig[], load: Score, maxImbalance: number): DeploymentConfig | undefined {
  let home = candidates[0];
  let top = -1;
  let min = Infinity;
  for (const d of candidates) {
    const w = weight(session, d.id);
    if (w > top) {
      top = w;
      home = d;
    }
    min = Math.min(min, load(d));
  }
  return load(home) - min <= maxImbalance ? home : undefined;
}

/** usage-based-routing-v2: the lowest tokens used this minute, ties at random. */
export function lowestUsage(candidates: readonly DeploymentConfig[], tpm: Score): DeploymentConfig {
  let best: DeploymentConfig[] = [];
  let min = Infinity;
  for (const d of candidates) {
    const t = tpm(d);
    if (t < min) {
      min = t;
      best = [d];
    } else if (t === min) best.push(d);
  }
  return pickRandom(best);
}

/** latency-based-routing: at random among those within (1 + buffer) × the lowest average latency. */
export function lowestLatency(candidates: readonly DeploymentConfig[], latency: Score, buffer: number): DeploymentConfig {
  const scored = candidates.map((d) => [d, latency(d)] as const);
  let min = Infinity;
  for (const [, l] of scored) min = Math.min(min, l);
  return pickRandom(scored.filter(([, l]) => l <= min + buffer * min).map(([d]) => d));
}
