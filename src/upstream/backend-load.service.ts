import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { DeploymentConfig } from '../config/config.types.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { BackgroundPoller, fetchText, serverRoot } from './background-poller.js';
import { parseVllmLoad } from './prometheus-text.js';

/** A deployment's load as its vLLM last reported it. */
export interface BackendLoadSnapshot {
  waiting: number;
  running: number;
  /** 0..1 */
  kvCacheUsage: number;
  /** Date.now() of the scrape. */
  updatedAt: number;
}

/** Older than this (or 3 intervals, whichever is longer), a scrape says nothing about now. */
const STALE_MS = 3000;
/** A backend without /metrics (404, not Prometheus text) is asked again this much later. */
const NO_METRICS_RETRY_MS = 60_000;

/**
 * Reads each deployment's vLLM `/metrics` about every `router_settings.vllm_metrics_interval`
 * seconds (default 1; 0 = off) in the background, for load-aware routing, `/metrics` gauges and the
 * console. Only fresh snapshots are given out: a stale one, or a backend that has no /metrics, is
 * undefined, and routing falls back to what this proxy counts itself.
 */
@Injectable()
export class BackendLoadService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly snapshots = new Map<string, BackendLoadSnapshot>();
  /** This proxy's own requests on the deployment when its scrape came back (they are inside vLLM's counts). */
  private readonly ownAtScrape = new Map<string, number>();
  /** Set by the router: this proxy's requests in flight on a deployment. */
  localInFlight: (id: string) => number = () => 0;
  private readonly noMetricsUntil = new Map<string, number>();
  private readonly poller: BackgroundPoller;

  constructor(private readonly registry: ModelRegistry) {
    this.poller = new BackgroundPoller(
      () => registry.all(),
      () => this.intervalMs(),
      (d) => this.scrape(d),
    );
  }

  private intervalMs(): number {
    return Math.round(this.registry.router.load.vllmMetricsIntervalSec * 1000);
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.poller.stop();
  }

  /** The deployment's load as last read from its vLLM, when fresh; else undefined. */
  snapshot(id: string): BackendLoadSnapshot | undefined {
    const s = this.snapshots.get(id);
    if (!s) return undefined;
    if (Date.now() - s.updatedAt > Math.max(STALE_MS, 3 * this.intervalMs())) return undefined;
    return s;
  }

  /**
   * Requests the backend holds for others (other clients, other proxy instances): its running plus
   * waiting, less this proxy's own at the scrape. 0 without a fresh snapshot.
   */
  othersOn(id: string): number {
    const s = this.snapshot(id);
    return s ? Math.max(0, s.running + s.waiting - (this.ownAtScrape.get(id) ?? 0)) : 0;
  }

  private async scrape(d: DeploymentConfig): Promise<void> {
    if ((this.noMetricsUntil.get(d.id) ?? 0) > Date.now()) return;
    const timeoutMs = Math.max(250, Math.min(2000, this.intervalMs()));
    try {
      const { status, text } = await fetchText(this.poller.agent, d, `${serverRoot(d.apiBase)}/metrics`, timeoutMs);
      const load = status === 200 ? parseVllmLoad(text, d.upstreamModel) : undefined;
      if (!load) {
        this.snapshots.delete(d.id);
        this.noMetricsUntil.set(d.id, Date.now() + NO_METRICS_RETRY_MS);
        return;
      }
      this.snapshots.set(d.id, { ...load, updatedAt: Date.now() });
      this.ownAtScrape.set(d.id, this.localInFlight(d.id));
    } catch {
      // Unreachable or slow: the snapshot ages out; the router's own failure handling sees the rest.
    }
  }
}
