import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import { DbEventsService } from '../database/db-events.service.js';
import { BudgetService } from './budget.service.js';
import { SpendStore } from './spend-store.js';
import { SpendWriter } from './spend-writer.service.js';

/**
 * Budgets across instances and workers: every `SPEND_SYNC_MS` (1 s) the spend of the keys, users and
 * teams with budgets used lately on this instance is read back from the database (one query, off the
 * hot path), so spend booked by another process counts here within about a second plus its flush
 * interval. Reservations stay per process.
 */
@Injectable()
export class SpendSyncService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SpendSyncService.name);
  private timer?: NodeJS.Timeout;
  private running = false;
  private failing = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: SpendStore,
    private readonly budgets: BudgetService,
    private readonly writer: SpendWriter,
    events: DbEventsService,
  ) {
    // Notices may have been lost while LISTEN was down: catch up at once rather than at the next tick.
    events.onReconnected(() => void this.sync());
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.sync(), this.config.spendSyncMs);
    this.timer.unref();
  }

  async sync(): Promise<void> {
    if (this.running) return;
    const { keys, users, teams } = this.budgets.recentEntities();
    if (keys.length + users.length + teams.length === 0) return;
    this.running = true;
    const mark = this.writer.writeMark;
    try {
      const rows = await this.store.readTotals(keys, users, teams);
      this.writer.noteDbSpend(rows, mark);
      if (this.failing) this.logger.log('budget spend sync: database reachable again');
      this.failing = false;
    } catch (err) {
      // Budgets keep working from memory; the writer reports the outage itself.
      if (!this.failing) this.logger.warn(`budget spend sync: could not read spend (${(err as Error).message}); using what this instance knows`);
      this.failing = true;
    } finally {
      this.running = false;
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
