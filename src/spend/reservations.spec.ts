import { describe, expect, it } from 'vitest';
import { firstExceeded, Reservations, worstCaseCost } from './reservations.js';

const cheap = { inputCostPerToken: 1e-6, outputCostPerToken: 2e-6 };
const dear = { inputCostPerToken: 2e-6, outputCostPerToken: 4e-6, maxOutputTokens: 100 };

describe('worstCaseCost', () => {
  it('prices the prompt at bytes/4 and max_tokens of output, on the dearest deployment', () => {
    expect(worstCaseCost([cheap, dear], { max_tokens: 10 }, 400, true, 4096)).toBeCloseTo(100 * 2e-6 + 10 * 4e-6, 15);
  });

  it('max_completion_tokens wins over max_tokens, and n multiplies the output', () => {
    expect(worstCaseCost([cheap], { max_tokens: 1000, max_completion_tokens: 10, n: 3 }, 0, true, 4096)).toBeCloseTo(30 * 2e-6, 15);
  });

  it('unset: the deployment max_output_tokens, else the default', () => {
    expect(worstCaseCost([dear], {}, 0, true, 4096)).toBeCloseTo(100 * 4e-6, 15);
    expect(worstCaseCost([cheap], { max_tokens: 'lots' }, 0, true, 50)).toBeCloseTo(50 * 2e-6, 15);
  });

  it('embeddings reserve the prompt only; free deployments reserve nothing', () => {
    expect(worstCaseCost([cheap], { max_tokens: 10 }, 40, false, 4096)).toBeCloseTo(10 * 1e-6, 15);
    expect(worstCaseCost([{ inputCostPerToken: 0, outputCostPerToken: 0 }], {}, 4000, true, 4096)).toBe(0);
  });
});

describe('Reservations', () => {
  it('holds against every entity until released; release is idempotent', () => {
    const r = new Reservations();
    const a = r.hold(['k', 'team:t'], 0.1);
    const b = r.hold(['k'], 0.2);
    expect(r.of('k')).toBeCloseTo(0.3, 12);
    expect(r.of('team:t')).toBeCloseTo(0.1, 12);
    a.release();
    a.release();
    expect(r.of('k')).toBeCloseTo(0.2, 12);
    expect(r.of('team:t')).toBe(0);
    b.release();
    expect(r.size).toBe(0);
  });

  it('a budget for 3 admits 3 of a burst, not the burst', () => {
    const r = new Reservations();
    const cost = 0.1;
    let admitted = 0;
    for (let i = 0; i < 20; i++) {
      if (firstExceeded([{ entity: 'k', maxBudget: 3 * cost, committed: r.of('k') }])) continue;
      r.hold(['k'], cost);
      admitted++;
    }
    expect(admitted).toBeGreaterThanOrEqual(3);
    expect(admitted).toBeLessThanOrEqual(4);
  });

  it('spend at the budget refuses, below it admits (LiteLLM: spend >= max_budget)', () => {
    expect(firstExceeded([{ entity: 'k', maxBudget: 1, committed: 1 }])?.entity).toBe('k');
    expect(firstExceeded([{ entity: 'k', maxBudget: 1, committed: 0.99 }])).toBeUndefined();
  });
});
