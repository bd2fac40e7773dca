import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type DeploymentConfig, type RouterSettings } from '../config/config.types.js';
import { ModelRegistry } from '../models/model-registry.service.js';

interface DeploymentState {
  inFlight: number;
  /** Failure times (ms) in the last minute. */
  failures: number[];
  coolUntil: number;
}

const FAILURE_WINDOW_MS = 60_000;

export type PickResult = { deployment: DeploymentConfig } | { cooling: true } | { exhausted: true };

/**
 * Picks a deployment of an alias: `simple-shuffle` (weighted by `rpm` when every deployment sets it)
 * or `least-busy`. A deployment failing `allowed_fails` times in a minute cools down for `cooldown_time`.
 */
@Injectable()
export class RouterService {
  private readonly state = new Map<string, DeploymentState>();
  readonly settings: RouterSettings;

  constructor(@Inject(APP_CONFIG) config: AppConfig, registry: ModelRegistry) {
    this.settings = config.proxy.router;
    // A deployment fixed by an operator (new api_base, key…) gets a clean slate, not the old cooldown.
    registry.onChange((ids) => {
      for (const id of ids) {
        const s = this.state.get(id);
        if (s) {
          s.failures = [];
          s.coolUntil = 0;
        }
      }
    });
  }

  private stateOf(id: string): DeploymentState {
    let s = this.state.get(id);
    if (!s) this.state.set(id, (s = { inFlight: 0, failures: [], coolUntil: 0 }));
    return s;
  }

  pick(group: readonly DeploymentConfig[], exclude: ReadonlySet<string>): PickResult {
    const now = Date.now();
    let candidates: DeploymentConfig[] = [];
    let cooling = 0;
    for (const d of group) {
      if (exclude.has(d.id)) continue;
      if (this.stateOf(d.id).coolUntil > now) {
        cooling++;
        continue;
      }
      candidates.push(d);
    }
    if (candidates.length === 0) return cooling > 0 ? { cooling: true } : { exhausted: true };
    if (candidates.length === 1) return { deployment: candidates[0] };
    if (this.settings.routingStrategy === 'least-busy') {
      let min = Infinity;
      for (const d of candidates) min = Math.min(min, this.stateOf(d.id).inFlight);
      candidates = candidates.filter((d) => this.stateOf(d.id).inFlight === min);
      return { deployment: candidates[Math.floor(Math.random() * candidates.length)] };
    }
    if (candidates.every((d) => d.rpm !== undefined && d.rpm > 0)) {
      const total = candidates.reduce((sum, d) => sum + (d.rpm ?? 0), 0);
      let r = Math.random() * total;
      for (const d of candidates) {
        r -= d.rpm ?? 0;
        if (r < 0) return { deployment: d };
      }
    }
    return { deployment: candidates[Math.floor(Math.random() * candidates.length)] };
  }

  started(d: DeploymentConfig): void {
    this.stateOf(d.id).inFlight++;
  }

  finished(d: DeploymentConfig): void {
    this.stateOf(d.id).inFlight--;
  }

  /** Records a failure (connection error, 5xx, timeout); may start a cooldown. */
  failed(d: DeploymentConfig): void {
    const s = this.stateOf(d.id);
    const now = Date.now();
    s.failures = s.failures.filter((t) => now - t < FAILURE_WINDOW_MS);
    s.failures.push(now);
    if (s.failures.length >= this.settings.allowedFails) {
      s.coolUntil = now + this.settings.cooldownTimeSec * 1000;
      s.failures = [];
    }
  }

  isCooling(id: string): boolean {
    return this.stateOf(id).coolUntil > Date.now();
  }

  inFlight(id: string): number {
    return this.stateOf(id).inFlight;
  }
}
