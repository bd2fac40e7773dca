// A small closed-loop HTTP load generator on undici's low-level dispatch API.
//
// Why not autocannon: it records latencies into an integer-millisecond histogram, so a fast local
// server shows "p50 0 ms" and the 0.5 ms added-latency target could not be read off it; and it
// cannot time the first body chunk of a stream. This one keeps every sample with microsecond
// resolution (performance.now()) and, for streams, the time to the first byte of the body (the
// first SSE chunk). Each connection is one undici Client (no pipelining), so exactly `connections`
// requests are in flight at any time.

import { performance } from 'node:perf_hooks';
import { Client, type Dispatcher } from 'undici';

export interface LoadOptions {
  /** Origin, e.g. http://127.0.0.1:4000 */
  origin: string;
  path: string;
  headers: Record<string, string>;
  /** The request body; a function picks one per request (i = the request's sequence number). */
  body: Buffer | ((i: number) => Buffer);
  connections: number;
  /** Measured window; requests that start before `warmupMs` has passed are not recorded. */
  durationMs: number;
  warmupMs?: number;
  /** Stop after this many recorded requests instead of after durationMs (the soak). */
  maxRequests?: number;
  /** Expect an SSE answer (per request when a function): record time to the first body chunk, check it ends with [DONE]. */
  stream?: boolean | ((i: number) => boolean);
  /** Read this response header as a number of ms and keep its distribution (the proxy's self-reported overhead). */
  timingHeader?: string;
  /** Called once the warm-up is over and the measured window starts. */
  onMeasureStart?: () => void;
  /** Updated as requests finish (for progress reports): every finished request, warm-up included. */
  progress?: { finished: number };
}

export interface Dist {
  count: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  /** Requests completed in the measured window (errors included); rps counts only the good ones. */
  completed: number;
  /** Every request sent, warm-up included. */
  sent: number;
  ok: number;
  errors: number;
  /** Up to 5 distinct error descriptions with their counts. */
  errorKinds: Record<string, number>;
  seconds: number;
  rps: number;
  /** Whole-request latency, ms. */
  latency: Dist;
  /** Time to the first body chunk, ms (streams only). */
  ttft?: Dist;
  /** Distribution of `timingHeader`, ms. */
  header?: Dist;
}

/** A growable array of doubles. */
class Samples {
  private buf = new Float64Array(1 << 14);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  dist(): Dist {
    const a = this.buf.subarray(0, this.length).slice().sort();
    const n = a.length;
    if (n === 0) return { count: 0, p50: NaN, p99: NaN, mean: NaN, max: NaN };
    let sum = 0;
    for (let i = 0; i < n; i++) sum += a[i];
    const at = (q: number): number => a[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
    return { count: n, p50: at(0.5), p99: at(0.99), mean: sum / n, max: a[n - 1] };
  }
}

const DONE = Buffer.from('[DONE]');

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const warmupMs = opts.warmupMs ?? 0;
  const latency = new Samples();
  const ttft = new Samples();
  const header = new Samples();
  const errorKinds: Record<string, number> = {};
  let ok = 0;
  let errors = 0;
  let seq = 0;
  let recorded = 0;

  const tStart = performance.now();
  let measureFrom = tStart + warmupMs;
  let measureUntil = measureFrom + opts.durationMs;
  let measuring = warmupMs === 0;
  if (measuring) opts.onMeasureStart?.();
  let stopping = false;
  let lastEnd = measureFrom;

  const noteError = (kind: string): void => {
    errors++;
    if (kind in errorKinds) errorKinds[kind]++;
    else if (Object.keys(errorKinds).length < 5) errorKinds[kind] = 1;
  };

  const clients: Client[] = [];
  for (let c = 0; c < opts.connections; c++) {
    clients.push(
      new Client(opts.origin, { pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, headersTimeout: 60_000, bodyTimeout: 60_000 }),
    );
  }
  const headers = opts.headers;
  const timingHeader = opts.timingHeader?.toLowerCase();
  const streamOf = typeof opts.stream === 'function' ? opts.stream : undefined;
  const anyStream = opts.stream !== undefined && opts.stream !== false;
  const progress = opts.progress ?? { finished: 0 };

  /** One request on `client`; resolves when it is over (never rejects). */
  const once = (client: Client): Promise<void> =>
    new Promise<void>((resolve) => {
      const i = seq++;
      const body = typeof opts.body === 'function' ? opts.body(i) : opts.body;
      const stream = streamOf ? streamOf(i) : opts.stream === true;
      const t0 = performance.now();
      let status = 0;
      let tFirst = 0;
      let tail: Buffer | undefined;
      let hdr = NaN;
      const done = (err: string | undefined): void => {
        const t1 = performance.now();
        progress.finished++;
        if (!measuring && t1 >= measureFrom) {
          measuring = true;
          opts.onMeasureStart?.();
        }
        if (t0 >= measureFrom && (opts.maxRequests !== undefined || t1 <= measureUntil)) {
          recorded++;
          lastEnd = t1;
          if (err !== undefined) noteError(err);
          else {
            ok++;
            latency.push(t1 - t0);
            if (stream && tFirst > 0) ttft.push(tFirst - t0);
            if (!Number.isNaN(hdr)) header.push(hdr);
          }
          if (opts.maxRequests !== undefined && recorded >= opts.maxRequests) stopping = true;
        }
        resolve();
      };
      const handler: Dispatcher.DispatchHandler = {
        // Its presence selects undici's current handler interface (Client.dispatch unwraps it).
        onRequestStart() {},
        onResponseStart(_c, statusCode, resHeaders) {
          status = statusCode;
          if (timingHeader) {
            const v = resHeaders[timingHeader];
            if (typeof v === 'string') hdr = Number(v);
          }
        },
        onResponseData(_c, chunk) {
          if (tFirst === 0) tFirst = performance.now();
          // Keep the last bytes seen, to check the stream closed with [DONE].
          if (stream) tail = chunk.length >= 32 || tail === undefined ? chunk.subarray(-32) : Buffer.concat([tail, chunk]).subarray(-32);
        },
        onResponseEnd() {
          if (status !== 200) return done(`HTTP ${status}`);
          if (stream && (tail === undefined || tail.lastIndexOf(DONE) === -1)) return done('stream ended without [DONE]');
          done(undefined);
        },
        onResponseError(_c, err) {
          done(`${(err as { code?: string }).code ?? err.name}: ${err.message}`);
        },
      };
      client.dispatch({ path: opts.path, method: 'POST', headers, body }, handler);
    });

  const loop = async (client: Client): Promise<void> => {
    for (;;) {
      const now = performance.now();
      if (stopping || (opts.maxRequests === undefined ? now >= measureUntil : seq >= opts.maxRequests)) return;
      await once(client);
    }
  };

  if (opts.maxRequests !== undefined) {
    // No time limit: the soak ends on a request count.
    measureUntil = Infinity;
  }
  await Promise.all(clients.map(loop));
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));

  if (opts.maxRequests !== undefined) measureUntil = lastEnd;
  if (!measuring) measureFrom = tStart;
  const seconds = (Math.min(measureUntil, performance.now()) - measureFrom) / 1000;
  return {
    completed: recorded,
    sent: seq,
    ok,
    errors,
    errorKinds,
    seconds,
    rps: ok / seconds,
    latency: latency.dist(),
    ttft: anyStream ? ttft.dist() : undefined,
    header: timingHeader ? header.dist() : undefined,
  };
}
