import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import { DbEventsService } from '../database/db-events.service.js';
import { entrySize, type SpendEntry } from './spend-entry.js';
import { SpendLedger } from './spend-ledger.js';
import { DeadLetter } from './spend-dead-letter.js';
import { SpendJournal } from './spend-journal.js';
import { fromJournal, toRow } from './spend-sanitize.js';
import { isDataError } from './spend-sql.js';
import { SpendStore } from './spend-store.js';

const MAX_BATCH = 2000;
const RENAME_TTL_MS = 30 * 60_000;
/** Waits for `p` at most `ms` (the timer is cleared either way, so it never holds the process open). */
function within(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise((r) => (timer = setTimeout(r, Math.max(0, ms))))]).finally(() => clearTimeout(timer));
}

/**
 * Books spend off the hot path: entries wait in memory and are written in batches every
 * `SPEND_FLUSH_MS`. While the database is down they are kept (bounded in bytes, loudly logged),
 * journaled to disk and retried; rows PostgreSQL refuses are split out to a dead-letter file;
 * shutdown flushes for at most `SPEND_SHUTDOWN_FLUSH_MS` and journals what is left.
 */
@Injectable()
export class SpendWriter implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SpendWriter.name);
  private queue: SpendEntry[] = [];
  private queueBytes = 0;
  private readonly maxBytes: number;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private failingSince: number | null = null;
  private droppedTotal = 0;
  /** Pending and last-written spend per budget entity: what budgets count. */
  private readonly ledger = new SpendLedger();
  /** Regenerated keys: requests still running under the old hash book onto the new one. */
  private readonly renames = new Map<string, { token: string; until: number }>();
  private readonly journal: SpendJournal;
  private readonly deadLetter: DeadLetter;
  private readonly shutdownFlushMs: number;
  private stopped = false;
  /** Since start, for metrics: rows written, and rows set aside in the dead-letter file. */
  flushedTotal = 0;
  deadLettered = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: SpendStore,
    events: DbEventsService,
  ) {
    this.maxBytes = config.spendQueueMaxBytes;
    this.shutdownFlushMs = config.spendShutdownFlushMs;
    this.journal = new SpendJournal(config.dataDir);
    this.deadLetter = new DeadLetter(config.dataDir);
    events.subscribe('proxy_key_change', (e) => {
      if (e.op === 'rename') this.rename(e.from, e.to);
      // A key changed elsewhere (budget reset, spend edited): forget the spend we last saw for it.
      else if (e.op === 'all') this.ledger.forget('*');
      else e.ids.forEach((t) => this.ledger.forget(t));
    });
    // The same for a team's or a user's spend (`team:<id>`, `user:<id>`: the ledger's entity names).
    events.subscribe('proxy_team_change', (e) => (e.op === 'all' ? this.ledger.forget('*') : e.ids.forEach((id) => this.ledger.forget(`team:${id}`))));
    events.subscribe('proxy_user_change', (e) => (e.op === 'all' ? this.ledger.forget('*') : e.ids.forEach((id) => this.ledger.forget(`user:${id}`))));
  }

  async onModuleInit(): Promise<void> {
    await this.replay();
    this.timer = setInterval(() => void this.flush(), this.config.spendFlushMs);
    this.timer.unref();
  }

  /** Books again what earlier runs journaled and did not write (moved into this process's journal before the old files go). */
  private async replay(): Promise<void> {
    try {
      const left = await this.journal.claimLeftovers();
      if (left.unreadable > 0) this.logger.warn(`spend journal: ${left.unreadable} unreadable line(s) skipped (a write cut short by a crash)`);
      if (left.entries.length > 0) {
        for (const e of left.entries) this.enqueue(fromJournal(e));
        await this.journal.adopt(left.entries);
        this.logger.warn(
          `spend journal: ${left.entries.length} record(s) an earlier run could not write are queued again (from ${left.files.length} file(s) in ${this.journal.dir})`,
        );
      }
      await this.journal.removeFiles(left.files);
    } catch (err) {
      this.logger.error(`spend journal: cannot replay ${this.journal.dir}: ${(err as Error).message}`);
    }
  }

  book(entry: SpendEntry): void {
    if (this.renames.size > 0) {
      const to = this.renames.get(entry.apiKey);
      if (to) entry.apiKey = to.token;
    }
    const size = entrySize(entry);
    if (this.queueBytes + size > this.maxBytes) {
      // Bounded memory: refusing new records beats taking the process down. Loud, counted.
      this.droppedTotal++;
      if (this.droppedTotal === 1 || this.droppedTotal % 1000 === 0) {
        this.logger.error(`spend queue full (${this.queueBytes} bytes, database unavailable?): ${this.droppedTotal} record(s) dropped so far`);
      }
      return;
    }
    this.queue.push(entry);
    this.queueBytes += size;
    this.ledger.track(entry, 1);
  }

  private enqueue(e: SpendEntry): void {
    this.queue.push(e);
    this.queueBytes += entrySize(e);
    this.ledger.track(e, 1);
  }

  /**
   * A key was regenerated: what is queued or still to come under the old hash belongs to the new
   * row (the old one is gone, so an UPDATE on it would lose the money).
   */
  rename(from: string, to: string): void {
    const now = Date.now();
    for (const [k, v] of this.renames) if (v.until < now) this.renames.delete(k);
    // Long enough for any request that started under the old key to finish.
    this.renames.set(from, { token: to, until: now + RENAME_TTL_MS });
    for (const e of this.queue) if (e.apiKey === from) e.apiKey = to;
    this.ledger.rename(from, to);
  }

  spendOf(entity: string, cachedSpend: number): number {
    return this.ledger.spendOf(entity, cachedSpend);
  }

  get writeMark(): number {
    return this.ledger.writeMark;
  }

  noteDbSpend(totals: ReadonlyArray<{ id: string; spend: number }>, mark: number): void {
    this.ledger.noteDbSpend(totals, mark);
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  get dropped(): number {
    return this.droppedTotal;
  }

  get journaledDepth(): number {
    return this.journal.held;
  }

  /** Writes everything queued so far (one batch at a time); resolves when done or when a write fails. */
  flush(): Promise<void> {
    if (this.flushing || this.stopped) return this.flushing ?? Promise.resolve();
    if (this.queue.length === 0) return Promise.resolve();
    this.flushing = this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.slice(0, MAX_BATCH);
      const { handled, error } = await this.writeSplitting(batch);
      if (handled > 0) await this.settle(handled);
      if (error !== undefined) {
        if (this.failingSince === null) {
          this.failingSince = Date.now();
          this.logger.error(
            `spend writer: database write failed (${(error as Error).message}); ${this.queue.length} record(s) kept in memory, journaled to ${this.journal.file} and retried`,
          );
        }
        await this.journal.appendFrom(() => this.queue);
        return;
      }
      if (this.failingSince !== null) {
        this.logger.warn(
          `spend writer: database back after ${Math.round((Date.now() - this.failingSince) / 1000)} s; writing ${this.queue.length} kept record(s)`,
        );
        this.failingSince = null;
      }
    }
  }

  /**
   * Writes a batch; when PostgreSQL refuses it for a data reason, halves it until the bad rows are
   * alone, dead-letters those and writes the rest. Handled entries are always a prefix of the
   * batch; a connection error stops there (the rest is kept and retried).
   */
  private async writeSplitting(batch: SpendEntry[]): Promise<{ handled: number; error?: unknown }> {
    try {
      await this.write(batch);
      this.flushedTotal += batch.length;
      return { handled: batch.length };
    } catch (err) {
      if (!isDataError(err)) return { handled: 0, error: err };
      if (batch.length === 1) {
        this.deadLettered++;
        await this.deadLetter.add(batch[0], err);
        return { handled: 1 };
      }
      const mid = batch.length >> 1;
      const left = await this.writeSplitting(batch.slice(0, mid));
      if (left.error !== undefined) return left;
      const right = await this.writeSplitting(batch.slice(mid));
      return { handled: left.handled + right.handled, error: right.error };
    }
  }

  /** The first `n` queued entries are written (or set aside): out of memory, out of pending, marked in the journal. */
  private async settle(n: number): Promise<void> {
    const done = this.queue.slice(0, n);
    this.queue = this.queue.slice(n);
    for (const e of done) {
      this.queueBytes -= entrySize(e);
      this.ledger.track(e, -1);
    }
    await this.journal.settled(n);
  }

  private async write(batch: SpendEntry[]): Promise<void> {
    // One JSON parameter for the batch: JSON.stringify is native and fast, where 17 array
    // parameters cost pg's per-element escaping in JavaScript. Rows are sanitized here, off the request path.
    await this.store.addSpend(JSON.stringify(batch.map(toRow)), (totals) => {
      this.ledger.wrote(totals);
      return this.renamedMisses(batch, new Set(totals.map((r) => r.token)));
    });
  }

  /**
   * A key regenerated while this batch was being written: its old row was gone when the UPDATE ran,
   * so the amount goes to the new row. (Log rows keep the hash the request was made with.)
   */
  private renamedMisses(batch: SpendEntry[], updated: Set<string>): Map<string, number> {
    const missed = new Map<string, number>();
    if (this.renames.size === 0) return missed;
    for (const e of batch) {
      const to = e.spend > 0 && !updated.has(e.apiKey) ? this.renames.get(e.apiKey)?.token : undefined;
      if (to) missed.set(to, (missed.get(to) ?? 0) + e.spend);
    }
    return missed;
  }

  /**
   * Flushes for at most SPEND_SHUTDOWN_FLUSH_MS, whatever the database does; what is left then
   * (database down, statement hung) goes to the journal, booked at the next start.
   */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    const deadline = Date.now() + this.shutdownFlushMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      await within(this.flush(), deadline - Date.now());
      if (this.queue.length > 0 && !this.flushing) await within(new Promise(() => undefined), Math.min(200, deadline - Date.now()));
    }
    this.stopped = true;
    if (this.flushing) {
      this.store.cancel();
      await within(this.flushing, 2000);
    }
    if (this.queue.length > 0) {
      await this.journal.appendFrom(() => this.queue);
      this.logger.error(
        `spend writer: ${this.queue.length} record(s) not written to the database before shutdown; kept in ${this.journal.file}, booked at the next start`,
      );
    }
    this.journal.close();
  }
}
