import type { AllowedFailsPolicy } from '../config/config.types.js';

// LiteLLM's cooldown rules (litellm/router_utils/cooldown_handlers.py, litellm/constants.py).
/** Cool a deployment of a multi-deployment alias when more than this share of its requests failed… */
export const FAILURE_THRESHOLD_PERCENT = 0.5;
/** …over at least this many requests in the window (below it, a rate is noise). */
export const FAILURE_THRESHOLD_MINIMUM_REQUESTS = 5;
/** The only deployment of an alias cools only when every one of at least this many requests failed. */
export const SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD = 1000;
/** LiteLLM's `litellm.allowed_fails`: an `allowed_fails` equal to it does not switch to counting. */
export const LITELLM_DEFAULT_ALLOWED_FAILS = 3;

export const WINDOW_MS = 60_000;
const BUCKET_MS = 1000;
const BUCKETS = WINDOW_MS / BUCKET_MS;

/**
 * What a backend did wrong, as the router needs it: `status` is the backend's HTTP status,
 * 408 for the deployment's own timeout, 0 for a connection error or a broken answer.
 */
export interface BackendFault {
  status: number;
  message: string;
}

/**
 * Successes and failures of one deployment over the last minute, in one-second buckets: a sliding
 * window (no reset at the minute boundary) that costs two array writes per request.
 */
export class RequestWindow {
  private readonly ok = new Uint32Array(BUCKETS);
  private readonly fail = new Uint32Array(BUCKETS);
  /** The second each bucket last counted for. */
  private readonly stamp = new Float64Array(BUCKETS).fill(-1);

  private bucket(now: number): number {
    const second = Math.floor(now / BUCKET_MS);
    const i = second % BUCKETS;
    if (this.stamp[i] !== second) {
      this.stamp[i] = second;
      this.ok[i] = 0;
      this.fail[i] = 0;
    }
    return i;
  }

  succeeded(now: number): void {
    this.ok[this.bucket(now)]++;
  }

  failed(now: number): void {
    this.fail[this.bucket(now)]++;
  }

  counts(now: number): { successes: number; failures: number } {
    const oldest = Math.floor(now / BUCKET_MS) - BUCKETS;
    let successes = 0;
    let failures = 0;
    for (let i = 0; i < BUCKETS; i++) {
      if (this.stamp[i] > oldest) {
        successes += this.ok[i];
        failures += this.fail[i];
      }
    }
    return { successes, failures };
  }

  clear(): void {
    this.stamp.fill(-1);
  }
}

export interface CooldownRules {
  /** `router_settings.allowed_fails`, when set to something other than LiteLLM's default 3. */
  allowedFails?: number;
  allowedFailsPolicy?: AllowedFailsPolicy;
}

/** The `allowed_fails_policy` entry for this kind of fault (LiteLLM matches on the exception class). */
function policyFor(fault: BackendFault, policy: AllowedFailsPolicy | undefined): number | undefined {
  if (!policy) return undefined;
  if (fault.status === 408) return policy.TimeoutErrorAllowedFails;
  if (fault.status === 429) return policy.RateLimitErrorAllowedFails;
  if (fault.status === 401) return policy.AuthenticationErrorAllowedFails;
  if (fault.status === 0 || fault.status >= 500) return policy.InternalServerErrorAllowedFails;
  return undefined;
}

/**
 * How many failures this fault may add before the deployment cools (LiteLLM's legacy counting, used
 * when `allowed_fails` or `allowed_fails_policy` is set), or undefined for the failure-rate rules.
 */
export function allowedFailsFor(fault: BackendFault, rules: CooldownRules): number | undefined {
  if (rules.allowedFails === undefined && rules.allowedFailsPolicy === undefined) return undefined;
  return policyFor(fault, rules.allowedFailsPolicy) ?? rules.allowedFails ?? LITELLM_DEFAULT_ALLOWED_FAILS;
}

export interface CooldownInput {
  fault: BackendFault;
  /** This minute's counts, the fault already included. */
  successes: number;
  failures: number;
  /** The alias has no other deployment. */
  single: boolean;
  rules: CooldownRules;
  /** Failures counted for `allowed_fails`, this one included (ignored by the rate rules). */
  countedFails: number;
}

/**
 * Whether a deployment that just failed should cool down — LiteLLM's `_should_cooldown_deployment`,
 * except that the only deployment of an alias is exempt from everything but 100% failures over ≥ 1000
 * requests: cooling it would only turn the backend's own error into "no deployment" for everyone.
 */
export function shouldCooldown(input: CooldownInput): boolean {
  const { fault, successes, failures, single, rules } = input;
  const total = successes + failures;
  const rate = total > 0 ? failures / total : 0;
  if (rate === 1 && total >= SINGLE_DEPLOYMENT_TRAFFIC_FAILURE_THRESHOLD) return true;
  if (single) return false;
  const allowed = allowedFailsFor(fault, rules);
  if (allowed !== undefined) return input.countedFails > allowed;
  // A rate limit, a bad credential or a model the backend does not serve will not pass on a retry.
  if (fault.status === 429 || fault.status === 401 || fault.status === 404) return true;
  return rate > FAILURE_THRESHOLD_PERCENT && total >= FAILURE_THRESHOLD_MINIMUM_REQUESTS;
}
