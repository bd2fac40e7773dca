import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type DeploymentConfig, type RouterSettings } from '../config/config.types.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { type BackendFault, RequestWindow, shouldCooldown } from './cooldown-policy.js';
import { lowestOrder, weightedShuffle } from './deployment-order.js';

interface DeploymentState {
  inFlight: number;
  window: RequestWindow;
  /** Failures counted for `allowed_fails`; the count lapses `cooldown_time` after the last one (LiteLLM). */
  countedFails: number;
  countedUntil: number;
  coolUntil: number;
  /** What the backend did last time it failed, for the 503 that says why nothing can serve. */
  lastError?: string;
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
 * `weight`, else `rpm`, else `tpm`, when every deployment sets it)
 * or `least-busy`, skipping deployments that cool down or are at their cap (`max_parallel_requests`,
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
  ) {
    this.queueCap = config.upstreamConnections + config.upstreamQueueMax;
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
    if (!s) this.state.set(id, (s = { inFlight: 0, window: new RequestWindow(), countedFails: 0, countedUntil: 0, coolUntil: 0 }));
    return s;
  }

  /** The most requests `d` may have in flight. */
  capOf(d: DeploymentConfig): number {
    return Math.min(d.maxParallelRequests ?? this.settings.defaultMaxParallelRequests ?? Infinity, this.queueCap);
  }

  pick(group: readonly DeploymentConfig[], exclude: ReadonlySet<string>): PickResult {
    const now = Date.now();
    let candidates: DeploymentConfig[] = [];
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
      } else {
        candidates.push(d);
      }
    }
    if (candidates.length === 0) {
      if (cooling + busy === 0) return { exhausted: true };
      return { unavailable: { cooling, busy, retryAfterSec: Math.max(1, Math.ceil(soonest / 1000)), lastError } };
    }
    candidates = [...lowestOrder(candidates)];
    if (candidates.length === 1) return { deployment: candidates[0] };
    if (this.settings.routingStrategy === 'least-busy') {
      let min = Infinity;
      for (const d of candidates) min = Math.min(min, this.stateOf(d.id).inFlight);
      candidates = candidates.filter((d) => this.stateOf(d.id).inFlight === min);
      return { deployment: candidates[Math.floor(Math.random() * candidates.length)] };
    }
    return { deployment: weightedShuffle(candidates) };
  }

  started(d: DeploymentConfig): void {
    this.stateOf(d.id).inFlight++;
  }

  finished(d: DeploymentConfig): void {
    this.stateOf(d.id).inFlight--;
  }

  /** Read-only view of a deployment's state, for GET /health/deployments. */
  health(id: string): { inFlight: number; coolUntil: number | null; lastError: string | null } {
    const s = this.state.get(id);
    return { inFlight: s?.inFlight ?? 0, coolUntil: s && s.coolUntil > Date.now() ? s.coolUntil : null, lastError: s?.lastError ?? null };
  }

  /** A request the deployment served: the other half of the failure rate. */
  succeeded(d: DeploymentConfig): void {
    this.stateOf(d.id).window.succeeded(Date.now());
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
