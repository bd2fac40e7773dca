import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type DeploymentConfig, type RouterSettings } from '../config/config.types.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { BackendLoadService } from '../upstream/backend-load.service.js';
import { DeploymentHealthService } from '../upstream/deployment-health.service.js';
import { type BackendFault, RequestWindow, shouldCooldown } from './cooldown-policy.js';
import { lowestOrder, weightedShuffle } from './deployment-order.js';
import { LatencyStats } from './strategies/latency-stats.js';
import { leastBusy, lowestLatency, lowestUsage, sessionHome } from './strategies/pick.js';
import type { RouteHint, Served } from './strategies/route-hint.js';
import { UsageWindow, withinLimits } from './strategies/usage-window.js';

interface DeploymentState {
  inFlight: number;
  window: RequestWindow;
  /** Failures counted for `allowed_fails`; the count lapses `cooldown_time` after the last one (LiteLLM). */
  countedFails: number;
  countedUntil: number;
  coolUntil: number;
  /** What the backend did last time it failed, for the 503 that says why nothing can serve. */
  lastError?: string;
  /** This minute's requests and tokens (usage-based-routing-v2, and the limits latency-based-routing checks). */
  usage: UsageWindow;
  latency: LatencyStats;
}

/** Why no deployment could take a request; `retryAfterSec` is when one may again. */
export interface Unavailable {
  cooling: number;
  /** At `max_parallel_requests` or with a full upstream queue. */
  busy: number;
  retryAfterSec: number;
  lastError?: string;
}

export type PickResult = { deployment: DeploymentConfig } | { unavailable: Unavailable } | { exhausted: true };

/**
 * Picks a deployment of an alias among those of the lowest `order`: `simple-shuffle` (weighted by
 * `weight`, else `rpm`, else `tpm`, when every deployment sets it),
 * `least-busy` (this proxy's in-flight requests plus what the backend's vLLM reports holding for
 * others), `usage-based-routing-v2` (fewest tokens this minute within tpm/rpm) or `latency-based-routing`
 * (LiteLLM's lowest_latency), after `session_affinity` when on. Skips deployments that cool down, that
 * failed their last background health check (unless all did), or are at their cap (`max_parallel_requests`,
 * and the upstream pool's connections plus `UPSTREAM_QUEUE_MAX`). Cooldown follows LiteLLM's rules
 * (see cooldown-policy.ts); only backend faults count, and the only deployment of an alias is exempt.
 */
@Injectable()
export class RouterService {
  private readonly state = new Map<string, DeploymentState>();
  /** The router settings of the config file as last (re)loaded. */
  get settings(): RouterSettings {
    return this.registry.router;
  }

  /** In-flight requests a deployment may have through the pool: its connections plus the bounded queue. */
  private readonly queueCap: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly registry: ModelRegistry,
    private readonly loads: BackendLoadService,
    private readonly health: DeploymentHealthService,
  ) {
    this.queueCap = config.upstreamConnections + config.upstreamQueueMax;
    loads.localInFlight = (id) => this.state.get(id)?.inFlight ?? 0;
    // A deployment fixed by an operator (new api_base, key…) gets a clean slate, not the old cooldown.
    registry.onChange((ids) => {
      for (const id of ids) {
        const s = this.state.get(id);
        if (s) {
          s.window.clear();
          s.countedFails = 0;
          s.coolUntil = 0;
          s.lastError = undefined;
        }
      }
    });
  }

  private stateOf(id: string): DeploymentState {
    let s = this.state.get(id);
    if (!s) {
      s = { inFlight: 0, window: new RequestWindow(), countedFails: 0, countedUntil: 0, coolUntil: 0, usage: new UsageWindow(), latency: new LatencyStats() };
      this.state.set(id, s);
    }
    return s;
  }

  /** The most requests `d` may have in flight. */
  capOf(d: DeploymentConfig): number {
    return Math.min(d.maxParallelRequests ?? this.settings.defaultMaxParallelRequests ?? Infinity, this.queueCap);
  }

  /** A deployment's load for least-busy and affinity: this proxy's in-flight requests plus the backend's for others. */
  loadOf(d: DeploymentConfig): number {
    return this.stateOf(d.id).inFlight + this.loads.othersOn(d.id);
  }

  pick(group: readonly DeploymentConfig[], exclude: ReadonlySet<string>, hint: RouteHint = { inputTokens: 0, stream: false }): PickResult {
    const now = Date.now();
    let candidates: DeploymentConfig[] = [];
    let unhealthy: DeploymentConfig[] | undefined;
    let cooling = 0;
    let busy = 0;
    let soonest = Infinity;
    let lastError: string | undefined;
    for (const d of group) {
      if (exclude.has(d.id)) continue;
      const s = this.stateOf(d.id);
      if (s.coolUntil > now) {
        cooling++;
        soonest = Math.min(soonest, s.coolUntil - now);
        lastError ??= s.lastError;
      } else if (s.inFlight >= this.capOf(d)) {
        busy++;
        soonest = Math.min(soonest, 1000);
      } else if (!this.health.healthy(d.id)) {
        (unhealthy ??= []).push(d);
      } else {
        candidates.push(d);
      }
    }
    // Every one failing its health check: try them anyway rather than refuse (the probe may be what is wrong).
    if (candidates.length === 0 && unhealthy) candidates = unhealthy;
    if (this.measuring) {
      const within = candidates.filter((d) => withinLimits(d, this.stateOf(d.id).usage, hint.inputTokens, now));
      busy += candidates.length - within.length;
      if (within.length < candidates.length) soonest = Math.min(soonest, 60_000 - (now % 60_000));
      candidates = within;
    }
    if (candidates.length === 0) {
      if (cooling + busy === 0) return { exhausted: true };
      return { unavailable: { cooling, busy, retryAfterSec: Math.max(1, Math.ceil(soonest / 1000)), lastError } };
    }
    candidates = [...lowestOrder(candidates)];
    if (candidates.length === 1) return { deployment: candidates[0] };
    return { deployment: this.choose(candidates, hint, now) };
  }

  private choose(candidates: DeploymentConfig[], hint: RouteHint, now: number): DeploymentConfig {
    const load = this.settings.load;
    if (load.sessionAffinity && hint.sessionKey) {
      const home = sessionHome(hint.sessionKey, candidates, (d) => this.loadOf(d), load.sessionAffinityMaxImbalance);
      if (home) return home;
    }
    switch (this.settings.routingStrategy) {
      case 'least-busy':
        return leastBusy(
          candidates,
          (d) => this.loadOf(d),
          (d) => this.loads.snapshot(d.id)?.kvCacheUsage ?? 0,
        );
      case 'usage-based-routing-v2':
        return lowestUsage(candidates, (d) => this.stateOf(d.id).usage.tpm(now));
      case 'latency-based-routing':
        return lowestLatency(candidates, (d) => this.stateOf(d.id).latency.average(hint.stream, load.latencyTtlSec * 1000, now), load.lowestLatencyBuffer);
      case 'simple-shuffle':
        break;
    }
    return weightedShuffle(candidates);
  }

  /** Usage and latency are kept only for the strategies that read them (a few hundred ns a request otherwise). */
  private get measuring(): boolean {
    const strategy = this.settings.routingStrategy;
    return strategy === 'usage-based-routing-v2' || strategy === 'latency-based-routing';
  }

  started(d: DeploymentConfig): void {
    const s = this.stateOf(d.id);
    s.inFlight++;
    if (this.measuring) s.usage.sent(Date.now());
  }

  finished(d: DeploymentConfig): void {
    this.stateOf(d.id).inFlight--;
  }

  /** Read-only view of a deployment's state, for GET /health/deployments. */
  view(id: string): { inFlight: number; coolUntil: number | null; lastError: string | null } {
    const s = this.state.get(id);
    return { inFlight: s?.inFlight ?? 0, coolUntil: s && s.coolUntil > Date.now() ? s.coolUntil : null, lastError: s?.lastError ?? null };
  }

  /** A request the deployment served: the other half of the failure rate, and its tokens and latency. */
  succeeded(d: DeploymentConfig, served?: Served): void {
    const s = this.stateOf(d.id);
    const now = Date.now();
    s.window.succeeded(now);
    if (served && this.measuring) {
      s.usage.used(served.totalTokens, now);
      s.latency.record(served, now);
    }
  }

  /**
   * Records a backend fault (connection error, 5xx, 429, 401/404 from the backend, the deployment's
   * timeout, a broken answer) — never a 4xx the request caused or a client that went away; may start
   * a cooldown. Returns whether it did.
   */
  failed(d: DeploymentConfig, fault: BackendFault): boolean {
    const s = this.stateOf(d.id);
    const now = Date.now();
    const cooldownMs = this.settings.cooldownTimeSec * 1000;
    s.lastError = fault.message;
    s.window.failed(now);
    if (fault.status === 408) s.latency.timedOut(now);
    if (s.countedUntil <= now) s.countedFails = 0;
    s.countedFails++;
    s.countedUntil = now + cooldownMs;
    const { successes, failures } = s.window.counts(now);
    const single = this.registry.group(d.modelName).length <= 1;
    if (cooldownMs <= 0 || !shouldCooldown({ fault, successes, failures, single, rules: this.settings, countedFails: s.countedFails })) return false;
    s.coolUntil = now + cooldownMs;
    // The rate window is kept (LiteLLM's per-minute counters are too): back from its cooldown, a backend
    // that is still broken is out again after one more failure, one that recovered dilutes the rate.
    s.countedFails = 0;
    return true;
  }
}
