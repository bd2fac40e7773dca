// vLLM-like load for the mock: a batch of at most `maxNumSeqs` running requests (vLLM's
// `--max-num-seqs`), a FIFO waiting queue behind it, and a decode step that slows as the batch grows,
// and the gauges vLLM exports on /metrics for them (vllm/v1/metrics/loggers.py: gauges labelled
// `model_name` and `engine`; `vllm:gpu_cache_usage_perc` is the pre-0.10 name of the KV-cache gauge).

export interface MockLoadOptions {
  /** Requests decoded at once; more wait. Default: unbounded (no queueing). */
  maxNumSeqs?: number;
  /**
   * How much a full batch slows each token: per-token time × (1 + slowdown × running / maxNumSeqs).
   * Default 1 (a full batch takes about twice as long per token as a lone request), as a memory-bound decode does.
   */
  slowdown?: number;
}

/** Numbers added to what /metrics reports, so a test can show a deep queue without real load. */
export interface ReportedLoad {
  waiting?: number;
  running?: number;
  kvCacheUsage?: number;
}

export class MockLoad {
  running = 0;
  private readonly queue: Array<() => void> = [];
  private extra: ReportedLoad = {};
  private readonly maxNumSeqs: number;
  private readonly slowdown: number;

  constructor(opts: MockLoadOptions, model: string) {
    this.maxNumSeqs = opts.maxNumSeqs && opts.maxNumSeqs > 0 ? opts.maxNumSeqs : Infinity;
    this.slowdown = opts.slowdown ?? 1;
    this.labels = `{engine="0",model_name=${JSON.stringify(model)}}`;
  }

  private readonly labels: string;

  get waiting(): number {
    return this.queue.length;
  }

  /** Waits for a batch slot (FIFO); `gone()` says the client left meanwhile. Resolves to the release function. */
  async admit(gone: () => boolean): Promise<() => void> {
    if (this.running >= this.maxNumSeqs || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.queue.push(resolve));
    }
    this.running++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.running--;
      this.queue.shift()?.();
    };
    if (gone()) release();
    return release;
  }

  /** Per-token time for a request joining the batch now. */
  scaled(ms: number): number {
    if (!Number.isFinite(this.maxNumSeqs)) return ms;
    return ms * (1 + (this.slowdown * Math.max(0, this.running - 1)) / this.maxNumSeqs);
  }

  setReported(load: ReportedLoad): void {
    this.extra = { ...load };
  }

  /** Prometheus text as vLLM writes it (help and type lines, one sample per engine). */
  metricsText(): string {
    const kv = Number.isFinite(this.maxNumSeqs) ? this.running / this.maxNumSeqs : 0;
    const gauge = (name: string, help: string, value: number) =>
      `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name}${this.labels} ${Number.isInteger(value) ? value.toFixed(1) : value}\n`;
    return (
      gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', this.running + (this.extra.running ?? 0)) +
      gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', this.queue.length + (this.extra.waiting ?? 0)) +
      gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', Math.min(1, this.extra.kvCacheUsage ?? kv))
    );
  }
}
