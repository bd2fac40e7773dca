import type { Prices } from './spend-entry.js';

/**
 * Budget entities share one ledger, keyed by entity: a key by its hash (`token`, as the spend writer
 * keys it), a user as `user:<user_id>`, a team as `team:<team_id>`.
 */
export const userEntity = (userId: string): string => `user:${userId}`;
export const teamEntity = (teamId: string): string => `team:${teamId}`;

/** Held by a request from admission to its end; `release()` is idempotent. */
export interface BudgetLease {
  release(): void;
}

export const NO_BUDGET_LEASE: BudgetLease = { release: () => undefined };

/**
 * Worst-case cost reserved by requests in flight, per entity. In-process only: other instances see a
 * request once it is booked and written (see the spend sync).
 */
export class Reservations {
  private readonly held = new Map<string, number>();

  of(entity: string): number {
    return this.held.get(entity) ?? 0;
  }

  /** Reserves `amount` against each entity until the lease is released. */
  hold(entities: readonly string[], amount: number): BudgetLease {
    if (amount <= 0 || entities.length === 0) return NO_BUDGET_LEASE;
    for (const e of entities) this.held.set(e, (this.held.get(e) ?? 0) + amount);
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        for (const e of entities) {
          const left = (this.held.get(e) ?? 0) - amount;
          // Sums of floats drift: what is left of a few ulps is nothing.
          if (left <= amount * 1e-9) this.held.delete(e);
          else this.held.set(e, left);
        }
      },
    };
  }

  get size(): number {
    return this.held.size;
  }
}

/** What the estimate needs of a request body (OpenAI's fields, as vLLM reads them). */
interface BodyShape {
  max_tokens?: unknown;
  max_completion_tokens?: unknown;
  /** The Responses API's name for it. */
  max_output_tokens?: unknown;
  n?: unknown;
}

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/** No tokenizer on the hot path: about 4 bytes of JSON per token (English text; the JSON framing pads it). */
export const BYTES_PER_TOKEN = 4;

export interface DeploymentPrices extends Prices {
  maxOutputTokens?: number;
}

/**
 * A request's worst-case cost on the most expensive deployment of its alias (the router picks later):
 * the prompt estimated from the body's size at the input price, plus the output it may generate —
 * `max_completion_tokens` (vLLM prefers it), `max_tokens` or `max_output_tokens` (Responses), else the deployment's `max_output_tokens`,
 * else `defaultMaxOutput` — times `n`, at the output price. `generates: false` (embeddings) has no output.
 */
export function worstCaseCost(
  deployments: readonly DeploymentPrices[],
  body: BodyShape,
  bodyBytes: number,
  generates: boolean,
  defaultMaxOutput: number,
): number {
  const promptTokens = Math.ceil(bodyBytes / BYTES_PER_TOKEN);
  const asked = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens) ?? positiveInt(body.max_output_tokens);
  const choices = positiveInt(body.n) ?? 1;
  let worst = 0;
  for (const d of deployments) {
    const output = generates ? (asked ?? d.maxOutputTokens ?? defaultMaxOutput) * choices : 0;
    const cost = promptTokens * d.inputCostPerToken + output * d.outputCostPerToken;
    if (cost > worst) worst = cost;
  }
  return worst;
}

/** One budget as admission sees it: the entity, its limit, and what is committed against it. */
export interface BudgetState {
  entity: string;
  maxBudget: number;
  /** Booked (written + pending) plus reserved by requests in flight. */
  committed: number;
}

/**
 * LiteLLM's rule, `spend >= max_budget` refuses, with reservations counted as spend: a request is
 * admitted while what is committed is below the budget, and its own reservation then counts against
 * the next. So a burst overshoots by at most one request's worst case, never by the burst.
 */
export function firstExceeded(states: readonly BudgetState[]): BudgetState | undefined {
  return states.find((s) => s.committed >= s.maxBudget);
}
