import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { addDuration } from '../common/duration.js';

const CHECK_EVERY_MS = 30_000;

/** A module whose rows have budget periods (keys, teams, users): resets its due rows and announces them itself. */
export interface BudgetPeriodOwner {
  resetDueBudgets(now: Date): Promise<string[]>;
}

/**
 * Zeroes `spend` of the rows of `table` whose `budget_duration` period ended and moves `budget_reset_at`
 * to the next boundary after now; returns their ids. Safe with several instances: due rows are claimed
 * with `FOR UPDATE SKIP LOCKED`, and a reset moves `budget_reset_at` past now. The keys, teams and users
 * tables share it (each module calls it on its own table).
 */
export async function resetDueRows(m: EntityManager, table: string, idColumn: string, now: Date): Promise<string[]> {
  const due: Array<{ id: string; budget_duration: string; budget_reset_at: Date }> = await m.query(
    `SELECT "${idColumn}" AS id, budget_duration, budget_reset_at FROM "${table}"
     WHERE budget_reset_at <= $1 AND budget_duration IS NOT NULL FOR UPDATE SKIP LOCKED`,
    [now],
  );
  const done: string[] = [];
  for (const row of due) {
    let next: Date;
    try {
      next = addDuration(row.budget_reset_at, row.budget_duration);
      // A proxy that was down for several periods resets once, to the next boundary after now.
      while (next <= now) next = addDuration(next, row.budget_duration);
    } catch {
      // A hand-written row with a duration we cannot read: leave it alone.
      continue;
    }
    await m.query(`UPDATE "${table}" SET spend = 0, budget_reset_at = $2, updated_at = now() WHERE "${idColumn}" = $1`, [row.id, next]);
    done.push(row.id);
  }
  return done;
}

/** Runs the budget periods of every registered owner (keys, teams, users) every 30 s; each resets its own table. */
@Injectable()
export class BudgetResetService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BudgetResetService.name);
  private timer?: NodeJS.Timeout;
  private readonly owners = new Set<BudgetPeriodOwner>();

  register(owner: BudgetPeriodOwner): void {
    this.owners.add(owner);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.run().catch((err: Error) => this.logger.warn(`budget reset failed: ${err.message}`)), CHECK_EVERY_MS);
    this.timer.unref();
    void this.run().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Resets every key, team and user that is due; returns what each owner reset (key hashes, team and user ids). */
  async run(now = new Date()): Promise<string[]> {
    const reset: string[] = [];
    for (const owner of this.owners) reset.push(...(await owner.resetDueBudgets(now)));
    return reset;
  }
}
