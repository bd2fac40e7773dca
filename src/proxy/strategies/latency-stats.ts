import type { Served } from './route-hint.js';

/** LiteLLM's `max_latency_list_size`. */
const MAX_SAMPLES = 10;
/** LiteLLM's penalty for a timeout: 1000 s. */
const TIMEOUT_PENALTY = 1000;

/**
 * A deployment's recent latencies, as LiteLLM's lowest_latency.py keeps them: seconds per completion
 * token (whole seconds when the answer had no tokens), and for streams the time to first token per
 * completion token; the last 10 of each. All are forgotten `ttl` after the last sample.
 */
export class LatencyStats {
  private latency: number[] = [];
  private ttft: number[] = [];
  private lastAt = 0;

  private static push(list: number[], v: number): void {
    list.push(v);
    if (list.length > MAX_SAMPLES) list.shift();
  }

  record(s: Served, now: number): void {
    const perToken = s.completionTokens > 0 ? s.completionTokens : 1;
    LatencyStats.push(this.latency, s.ms / 1000 / perToken);
    if (s.ttftMs !== undefined) LatencyStats.push(this.ttft, s.ttftMs / 1000 / perToken);
    this.lastAt = now;
  }

  timedOut(now: number): void {
    LatencyStats.push(this.latency, TIMEOUT_PENALTY);
    this.lastAt = now;
  }

  /** The average for a request of this kind; 0 for a deployment without samples (so it is tried). */
  average(stream: boolean, ttlMs: number, now: number): number {
    if (now - this.lastAt > ttlMs) {
      this.latency = [];
      this.ttft = [];
    }
    const list = stream && this.ttft.length > 0 ? this.ttft : this.latency;
    if (list.length === 0) return 0;
    let sum = 0;
    for (const v of list) sum += v;
    return sum / list.length;
  }
}
