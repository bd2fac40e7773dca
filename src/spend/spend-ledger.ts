import { teamEntity, userEntity } from './reservations.js';
import { pendingOf, type SpendEntry } from './spend-entry.js';

/**
 * What budgets read of the writer: per budget entity (key hash, `user:<id>`, `team:<id>`), the spend
 * booked but not yet written, and the totals the database last returned (a flush's answer, or the
 * budget sync's read of other instances' spend).
 */
export class SpendLedger {
  private readonly pending = new Map<string, number>();
  private readonly written = new Map<string, number>();
  /** Successful writes since start: lets the budget sync tell whether a flush raced its read. */
  private writes = 0;

  /** An entry joins (+1) or leaves (-1) the queue: its key, user and team, as the flush statement adds it. */
  track(e: SpendEntry, sign: 1 | -1): void {
    const spend = pendingOf(e);
    if (!spend) return;
    const delta = sign * spend;
    if (e.apiKey) this.add(e.apiKey, delta);
    const userId = e.metadata.user_api_key_user_id;
    if (typeof userId === 'string') this.add(userEntity(userId), delta);
    if (e.teamId) this.add(teamEntity(e.teamId), delta);
  }

  private add(id: string, delta: number): void {
    const left = (this.pending.get(id) ?? 0) + delta;
    if (left <= 1e-12) this.pending.delete(id);
    else this.pending.set(id, left);
  }

  /** A regenerated key: what is pending under the old hash is the new one's. */
  rename(from: string, to: string): void {
    const pending = this.pending.get(from);
    if (pending !== undefined) {
      this.pending.delete(from);
      this.add(to, pending);
    }
    this.written.delete(from);
  }

  /** Forget the total last seen for an entity (changed elsewhere: reset, edited), or for all with `*`. */
  forget(id: string): void {
    if (id === '*') this.written.clear();
    else this.written.delete(id);
  }

  /** The totals a flush statement returned. */
  wrote(totals: ReadonlyArray<{ token: string; spend: number }>): void {
    for (const r of totals) this.written.set(r.token, r.spend);
    this.writes++;
  }

  /** Current spend of an entity: the larger of the cached and last-written totals, plus what is not yet written. */
  spendOf(entity: string, cachedSpend: number): number {
    return Math.max(cachedSpend, this.written.get(entity) ?? 0) + (this.pending.get(entity) ?? 0);
  }

  /** A mark to pass to `noteDbSpend` with totals read after it. */
  get writeMark(): number {
    return this.writes;
  }

  /**
   * Totals read from the database (other instances' spend included). A flush that completed while they
   * were read may have written newer ones: then they can only raise what is known, never lower it.
   */
  noteDbSpend(totals: ReadonlyArray<{ id: string; spend: number }>, mark: number): void {
    const raced = mark !== this.writes;
    for (const { id, spend } of totals) this.written.set(id, raced ? Math.max(spend, this.written.get(id) ?? 0) : spend);
  }
}
