import type { DeploymentConfig } from '../../config/config.types.js';

/**
 * A deployment's requests and tokens in the current UTC minute, as LiteLLM's usage-based-routing-v2
 * keeps them (`{id}:rpm:{HH-MM}`, `{id}:tpm:{HH-MM}`): a request counts when it is sent, its tokens when
 * it succeeded. Counted per instance (LiteLLM shares them through Redis).
 */
export class UsageWindow {
  private minute = -1;
  private requests = 0;
  private tokens = 0;

  private roll(now: number): void {
    const m = Math.floor(now / 60_000);
    if (m !== this.minute) {
      this.minute = m;
      this.requests = 0;
      this.tokens = 0;
    }
  }

  rpm(now: number): number {
    this.roll(now);
    return this.requests;
  }

  tpm(now: number): number {
    this.roll(now);
    return this.tokens;
  }

  sent(now: number): void {
    this.roll(now);
    this.requests++;
  }

  used(tokens: number, now: number): void {
    this.roll(now);
    this.tokens += tokens;
  }
}

/** LiteLLM's pre-call filter: skip a deployment whose `tpm` the prompt would pass, or at its `rpm` this minute. */
export function withinLimits(d: DeploymentConfig, usage: UsageWindow, inputTokens: number, now: number): boolean {
  if (d.tpm !== undefined && usage.tpm(now) + inputTokens > d.tpm) return false;
  if (d.rpm !== undefined && usage.rpm(now) + 1 > d.rpm) return false;
  return true;
}
