/** Most tokens read by one query; the rest wait for the next. */
const MAX_BATCH = 500;

interface Waiter<T> {
  resolve(value: T | undefined): void;
  reject(err: unknown): void;
}

/**
 * Coalesces key lookups that miss the auth cache: at most one query runs at a time, and every
 * token asked for meanwhile is read by the next one (`WHERE token = ANY(…)`). A flood of made-up
 * keys then costs the pool one connection, a handful of queries, instead of one query per key.
 * A token joins only a query that has not started yet, so an answer never predates the question
 * (the auth cache's invalidation relies on that).
 */
export class TokenLookup<T> {
  private pending = new Map<string, Waiter<T>[]>();
  private running = false;

  constructor(private readonly read: (tokens: string[]) => Promise<Map<string, T>>) {}

  find(token: string): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const waiters = this.pending.get(token);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(token, [{ resolve, reject }]);
      if (!this.running) {
        this.running = true;
        // Lookups arriving in the same turn of the event loop share the first query too.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = new Map<string, Waiter<T>[]>();
      for (const [token, waiters] of this.pending) {
        if (batch.size >= MAX_BATCH) break;
        batch.set(token, waiters);
      }
      for (const token of batch.keys()) this.pending.delete(token);
      try {
        const found = await this.read([...batch.keys()]);
        for (const [token, waiters] of batch) waiters.forEach((w) => w.resolve(found.get(token)));
      } catch (err) {
        for (const waiters of batch.values()) waiters.forEach((w) => w.reject(err));
      }
    }
    this.running = false;
  }
}
