/**
 * Failed logins per client address in a sliding window. Only failures count, so an operator who
 * types the key right is never held up, and a success clears the address's record.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    /** Bounds memory under a flood from many addresses. */
    private readonly maxAddresses = 10_000,
  ) {}

  /** Seconds until `ip` may try again, or 0 when it may try now. */
  retryAfter(ip: string, now = Date.now()): number {
    const recent = this.recent(ip, now);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - this.limit] + this.windowMs - now) / 1000));
  }

  fail(ip: string, now = Date.now()): void {
    const recent = this.recent(ip, now);
    if (recent.length === 0 && this.failures.size >= this.maxAddresses) this.prune(now);
    recent.push(now);
    this.failures.set(ip, recent);
  }

  succeed(ip: string): void {
    this.failures.delete(ip);
  }

  private recent(ip: string, now: number): number[] {
    return (this.failures.get(ip) ?? []).filter((t) => t > now - this.windowMs);
  }

  private prune(now: number): void {
    for (const [ip, times] of this.failures) if (times.every((t) => t <= now - this.windowMs)) this.failures.delete(ip);
    // Still full: every address is mid-window; forget the oldest rather than grow without bound.
    while (this.failures.size >= this.maxAddresses) this.failures.delete(this.failures.keys().next().value as string);
  }
}
