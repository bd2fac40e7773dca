import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { QueryRunner, Repository } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import { DEFAULT_STATEMENT_TIMEOUT_MS } from '../database/database.options.js';
import { cancelStatement } from './pg-cancel.js';
import { SpendLogEntity } from './spend-log.entity.js';
import { flushSql } from './spend-sql.js';

/** Past the statement timeout, the writer gives up on a connection that does not answer at all. */
const SOCKET_GRACE_MS = 5000;

/** Ids are the spend writer's entity names: a key's hash, `user:<id>`, `team:<id>`. */
const READ_TOTALS = `SELECT token AS id, spend FROM "LiteLLM_VerificationToken" WHERE token = ANY($1)
  UNION ALL SELECT 'user:' || user_id, spend FROM "LiteLLM_UserTable" WHERE user_id = ANY($2)
  UNION ALL SELECT 'team:' || team_id, spend FROM "LiteLLM_TeamTable" WHERE team_id = ANY($3)`;

/**
 * The spend module's raw SQL, named. `addSpend` is the one documented exception to "a module writes
 * only its own tables" (DESIGN.md, hot path rule 4): one statement books a batch of log rows and adds
 * the summed amounts to the key, user and team rows (their modules never write `spend` themselves).
 */
@Injectable()
export class SpendStore {
  private readonly sql: string;
  private readonly socketTimeoutMs: number;
  /** The runner of the statement in flight, so `cancel` can stop it. */
  private active?: QueryRunner;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectRepository(SpendLogEntity) private readonly logs: Repository<SpendLogEntity>,
  ) {
    this.sql = flushSql(!config.proxy.disableSpendLogs);
    this.socketTimeoutMs = (config.dbStatementTimeoutMs || DEFAULT_STATEMENT_TIMEOUT_MS) + SOCKET_GRACE_MS;
  }

  /**
   * Books one batch (`rowsJson`: the sanitized rows as one JSON parameter). `carryOver` is handed the
   * new total of each key the statement updated and names amounts for keys it missed (a key
   * regenerated meanwhile), added to their new rows on the same connection.
   */
  async addSpend(rowsJson: string, carryOver: (totals: Array<{ token: string; spend: number }>) => Map<string, number>): Promise<void> {
    const runner = this.logs.manager.dataSource.createQueryRunner();
    this.active = runner;
    // PostgreSQL cancels a slow statement itself (DB_STATEMENT_TIMEOUT_MS); a connection that does
    // not answer at all is cut here.
    const timer = setTimeout(() => cancelStatement(this.active), this.socketTimeoutMs);
    try {
      // Structured result: a plain query() answers [rows, count] for an UPDATE.
      const result = await runner.query(this.sql, [rowsJson], true);
      const totals = result.records as Array<{ token: string; spend: number }>;
      for (const [token, amount] of carryOver(totals)) {
        await runner.query(`UPDATE "LiteLLM_VerificationToken" SET spend = spend + $2 WHERE token = $1`, [token, amount]);
      }
    } finally {
      clearTimeout(timer);
      this.active = undefined;
      await runner.release();
    }
  }

  /** Stops the statement `addSpend` has in flight, if any (shutdown, or a connection that hangs). */
  cancel(): void {
    cancelStatement(this.active);
  }

  /** The written spend of these keys (hashes), users and teams (ids), as `{ id: entity name, spend }`. */
  readTotals(keys: string[], users: string[], teams: string[]): Promise<Array<{ id: string; spend: number }>> {
    return this.logs.query(READ_TOTALS, [keys, users, teams]);
  }
}
