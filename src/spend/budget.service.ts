import { Inject, Injectable } from '@nestjs/common';
import { ApiError, ErrorType } from '../common/api-error.js';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import type { KeyRecord } from '../keys/key-record.js';
import {
  type BudgetLease,
  type BudgetState,
  type DeploymentPrices,
  firstExceeded,
  NO_BUDGET_LEASE,
  Reservations,
  teamEntity,
  userEntity,
  worstCaseCost,
} from './reservations.js';
import { SpendWriter } from './spend-writer.service.js';

/** Entities not used for this long drop out of the spend sync. */
const RECENT_MS = 60_000;

/**
 * Budgets of keys, users and teams, one mechanism for all three: admission reserves a request's
 * worst-case cost against every budget it falls under; a budget refuses once booked (written +
 * pending) + reserved spend reaches it. Everything here reads memory; the spend sync keeps the
 * booked totals fresh from the database.
 */
@Injectable()
export class BudgetService {
  private readonly reservations = new Reservations();
  /** Budgeted entities used lately on this instance, with when: the spend sync re-reads their totals. */
  readonly recent = new Map<string, number>();

  constructor(
    private readonly writer: SpendWriter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Admits a request under the budgets of its key, user and team, or throws `budget_exceeded`.
   * The lease holds the request's worst-case cost until released (at the end, whatever the outcome);
   * the actual cost is booked by the spend writer.
   */
  reserve(key: KeyRecord, deployments: readonly DeploymentPrices[], body: Record<string, unknown>, bodyBytes: number, generates: boolean): BudgetLease {
    const states = this.states(key);
    if (states.length === 0) return NO_BUDGET_LEASE;
    const now = Date.now();
    for (const s of states) this.recent.set(s.entity, now);
    const over = firstExceeded(states);
    if (over) throw this.exceeded(key, over);
    const cost = worstCaseCost(deployments, body, bodyBytes, generates, this.config.budgetDefaultMaxOutputTokens);
    return this.reservations.hold(
      states.map((s) => s.entity),
      cost,
    );
  }

  /** The budgets a key's requests fall under, with what is committed against each. */
  private states(key: KeyRecord): BudgetState[] {
    const out: BudgetState[] = [];
    if (key.maxBudget !== null) out.push(this.state(key.token, key.maxBudget, key.spend));
    if (key.userId !== null && key.userMaxBudget !== null) out.push(this.state(userEntity(key.userId), key.userMaxBudget, key.userSpend));
    if (key.teamId !== null && key.teamMaxBudget !== null) out.push(this.state(teamEntity(key.teamId), key.teamMaxBudget, key.teamSpend));
    return out;
  }

  private state(entity: string, maxBudget: number, cachedSpend: number): BudgetState {
    return { entity, maxBudget, committed: this.writer.spendOf(entity, cachedSpend) + this.reservations.of(entity) };
  }

  /** LiteLLM's messages (litellm/proxy/auth/auth_checks.py) for a key, an internal user and a team. */
  private exceeded(key: KeyRecord, s: BudgetState): ApiError {
    const message =
      s.entity === key.token
        ? `Budget has been exceeded! Current cost: ${s.committed}, Max budget: ${s.maxBudget}`
        : s.entity.startsWith('user:')
          ? `ExceededBudget: User=${key.userId} over budget. Spend=${s.committed}, Budget=${s.maxBudget}`
          : `Budget has been exceeded! Team=${key.teamId} Current cost: ${s.committed}, Max budget: ${s.maxBudget}`;
    return new ApiError(400, ErrorType.BudgetExceeded, message);
  }

  /** Booked spend of a key: written plus pending (reservations not included). */
  currentSpend(key: KeyRecord): number {
    return this.writer.spendOf(key.token, key.spend);
  }

  /** Worst-case cost held by the key's requests in flight on this instance. */
  reservedOf(key: KeyRecord): number {
    return this.reservations.of(key.token);
  }

  /** The recently used entities, split by kind; older ones are forgotten. */
  recentEntities(): { keys: string[]; users: string[]; teams: string[] } {
    const cutoff = Date.now() - RECENT_MS;
    const out = { keys: [] as string[], users: [] as string[], teams: [] as string[] };
    for (const [entity, at] of this.recent) {
      if (at < cutoff) {
        this.recent.delete(entity);
        continue;
      }
      if (entity.startsWith('user:')) out.users.push(entity.slice(5));
      else if (entity.startsWith('team:')) out.teams.push(entity.slice(5));
      else out.keys.push(entity);
    }
    return out;
  }
}
