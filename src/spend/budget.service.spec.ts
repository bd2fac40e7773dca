import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config.types.js';
import { BudgetService } from './budget.service.js';
import type { SpendWriter } from './spend-writer.service.js';
import { keyRecord } from '../../test/helpers/key-record.js';

const key = keyRecord;
const deployments = [{ inputCostPerToken: 0, outputCostPerToken: 0.1 }];
const body = { max_tokens: 1 };

function service(pending: Record<string, number> = {}): BudgetService {
  const writer = { spendOf: (entity: string, cached: number) => cached + (pending[entity] ?? 0) } as unknown as SpendWriter;
  return new BudgetService(writer, { budgetDefaultMaxOutputTokens: 4096 } as AppConfig);
}

const refusal = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('BudgetService.reserve', () => {
  it('no budget anywhere: nothing is reserved or tracked', () => {
    const s = service();
    s.reserve(key(), deployments, body, 0, true);
    expect(s.reservedOf(key())).toBe(0);
    expect(s.recent.size).toBe(0);
  });

  it('key, user and team budgets share the reservation; each refuses with its own LiteLLM message', () => {
    const s = service();
    const k = key({ maxBudget: 1, userId: 'u1', userMaxBudget: 0.25, teamId: 't1', teamMaxBudget: 0.5 });
    const lease = s.reserve(k, deployments, body, 0, true);
    expect(s.reservedOf(k)).toBeCloseTo(0.1, 12);
    s.reserve(k, deployments, body, 0, true);
    s.reserve(k, deployments, body, 0, true);
    expect(refusal(() => s.reserve(k, deployments, body, 0, true))).toMatch(/^ExceededBudget: User=u1 over budget\. Spend=0\.3\d*, Budget=0\.25$/);
    // Another key of the same team: the team's 0.3 reserved by the first key counts on top of its 0.3 booked.
    expect(refusal(() => s.reserve(key({ token: 'b'.repeat(64), teamId: 't1', teamMaxBudget: 0.5, teamSpend: 0.3 }), deployments, body, 0, true))).toMatch(
      /^Budget has been exceeded! Team=t1 Current cost: 0\.6\d*, Max budget: 0\.5$/,
    );
    lease.release();
    expect(s.reservedOf(k)).toBeCloseTo(0.2, 12);
  });

  it('pending spend counts for users and teams as for keys', () => {
    const s = service({ 'team:t1': 0.5 });
    expect(refusal(() => s.reserve(key({ teamId: 't1', teamMaxBudget: 0.5 }), deployments, body, 0, true))).toMatch(/Team=t1/);
    expect(refusal(() => service({ ['a'.repeat(64)]: 2 }).reserve(key({ maxBudget: 2 }), deployments, body, 0, true))).toBe(
      'Budget has been exceeded! Current cost: 2, Max budget: 2',
    );
  });

  it('remembers the budgeted entities it used, for the spend sync', () => {
    const s = service();
    s.reserve(key({ maxBudget: 5, userId: 'u', userMaxBudget: 5, teamId: 't' }), deployments, body, 0, true);
    expect(s.recentEntities()).toEqual({ keys: ['a'.repeat(64)], users: ['u'], teams: [] });
  });
});
