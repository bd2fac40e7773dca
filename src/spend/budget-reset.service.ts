import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { addDuration } from '../common/duration.js';
import { DbEventsService } from '../database/db-events.service.js';

const CHECK_EVERY_MS = 30_000;

/**
 * Resets the spend of keys whose `budget_duration` period ended. Safe with several instances:
 * due rows are claimed with `FOR UPDATE SKIP LOCKED`, and a reset moves `budget_reset_at` past now.
 */
@Injectable()
export class BudgetResetService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(BudgetResetService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly events: DbEventsService,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.run().catch((err: Error) => this.logger.warn(`budget reset failed: ${err.message}`)), CHECK_EVERY_MS);
    this.timer.unref();
    void this.run().catch(() => undefined);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Resets every key that is due; returns their hashes. */
  async run(now = new Date()): Promise<string[]> {
    const reset = await this.dataSource.transaction(async (m) => {
      const due: Array<{ token: string; budget_duration: string; budget_reset_at: Date }> = await m.query(
        `SELECT token, budget_duration, budget_reset_at FROM "LiteLLM_VerificationToken"
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
        await m.query(`UPDATE "LiteLLM_VerificationToken" SET spend = 0, budget_reset_at = $2, updated_at = now() WHERE token = $1`, [row.token, next]);
        done.push(row.token);
      }
      return done;
    });
    for (const token of reset) await this.events.publish('proxy_key_change', token);
    if (reset.length) this.logger.log(`budget period ended: spend reset for ${reset.length} key(s)`);
    return reset;
  }
}
