import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LimitsService } from '../limits/limits.service.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { BackendLoadService } from '../upstream/backend-load.service.js';
import { DeploymentHealthService } from '../upstream/deployment-health.service.js';
import { registerDeploymentGauges } from './deployment-gauges.js';
import { SpendWriter } from '../spend/spend-writer.service.js';

interface ModelChildren {
  duration: Histogram.Internal<string>;
  ttft: Histogram.Internal<string>;
  tokensIn: Counter.Internal;
  tokensOut: Counter.Internal;
  spend: Counter.Internal;
  byStatus: Map<number, Counter.Internal>;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** Prometheus metrics. Recording is a few map lookups and additions: cheap enough for /v1. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'model_proxy_requests_total',
    help: 'Requests on /v1 by model alias and HTTP status',
    labelNames: ['model', 'status'],
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'model_proxy_request_duration_seconds',
    help: 'Request duration, end to end',
    labelNames: ['model'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly ttft = new Histogram({
    name: 'model_proxy_time_to_first_token_seconds',
    help: 'Time to the first streamed chunk',
    labelNames: ['model'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly tokens = new Counter({
    name: 'model_proxy_tokens_total',
    help: 'Tokens by direction (in = prompt, out = completion)',
    labelNames: ['model', 'direction'],
    registers: [this.registry],
  });
  private readonly spend = new Counter({ name: 'model_proxy_spend_usd_total', help: 'Spend booked (USD)', labelNames: ['model'], registers: [this.registry] });
  private readonly upstreamErrors = new Counter({
    name: 'model_proxy_upstream_errors_total',
    help: 'Backend failures by kind (connection, timeout, http_5xx, http_4xx, mid_stream)',
    labelNames: ['model', 'kind'],
    registers: [this.registry],
  });
  private readonly inFlight = new Gauge({ name: 'model_proxy_in_flight_requests', help: 'Requests on /v1 being served now', registers: [this.registry] });

  constructor(writer: SpendWriter, limits: LimitsService, models: ModelRegistry, loads: BackendLoadService, health: DeploymentHealthService) {
    collectDefaultMetrics({ register: this.registry, prefix: 'model_proxy_' });
    registerDeploymentGauges(this.registry, models, loads, health);
    const read = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(value());
        },
      });
    read('model_proxy_spend_queue_depth', 'Spend records waiting to be written', () => writer.queueDepth);
    read('model_proxy_spend_records_dropped_total', 'Spend records dropped because the queue was full', () => writer.dropped);
    read(
      'model_proxy_spend_dead_letter_total',
      'Spend records PostgreSQL refused for a data reason, set aside in PROXY_DATA_DIR/spend-dead-letter.jsonl',
      () => writer.deadLettered,
    );
    read('model_proxy_spend_journaled_records', 'Queued spend records also held in the on-disk journal (database unreachable)', () => writer.journaledDepth);
    read('model_proxy_spend_records_written_total', 'Spend records written to the database', () => writer.flushedTotal);
    // redisState is a snapshot: read it at each scrape.
    if (limits.redisState) {
      read('model_proxy_redis_up', '1 while rate limits are shared through Redis (REDIS_URL), 0 while this instance counts them alone', () =>
        limits.redisState!.up ? 1 : 0,
      );
      read(
        'model_proxy_redis_fallback_total',
        "Rate-limited requests counted in this instance's memory because Redis was unavailable",
        () => limits.redisState!.fallbacks,
      );
    }
  }

  started(): void {
    this.inFlight.inc();
  }

  /** Label-bound children, cached: prom-client otherwise hashes the labels on every call. */
  private readonly perModel = new Map<string, ModelChildren>();

  private childrenOf(model: string): ModelChildren {
    let c = this.perModel.get(model);
    if (!c) {
      c = {
        duration: this.duration.labels(model),
        ttft: this.ttft.labels(model),
        tokensIn: this.tokens.labels(model, 'in'),
        tokensOut: this.tokens.labels(model, 'out'),
        spend: this.spend.labels(model),
        byStatus: new Map(),
      };
      this.perModel.set(model, c);
    }
    return c;
  }

  /** One finished /v1 request. */
  finished(model: string, status: number, seconds: number, ttftSeconds: number | null, tokensIn: number, tokensOut: number, spend: number): void {
    this.inFlight.dec();
    const c = this.childrenOf(model);
    let requests = c.byStatus.get(status);
    if (!requests) c.byStatus.set(status, (requests = this.requests.labels(model, String(status))));
    requests.inc();
    c.duration.observe(seconds);
    if (ttftSeconds !== null) c.ttft.observe(ttftSeconds);
    if (tokensIn) c.tokensIn.inc(tokensIn);
    if (tokensOut) c.tokensOut.inc(tokensOut);
    if (spend) c.spend.inc(spend);
  }

  upstreamError(model: string, kind: string): void {
    this.upstreamErrors.inc({ model, kind });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
