import { describe, expect, it } from 'vitest';
import { costOf } from './spend-entry.js';

const usage = (prompt: number, completion: number) => ({ prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion });

describe('costOf', () => {
  it('is prompt × input price + completion × output price', () => {
    expect(costOf({ inputCostPerToken: 2.5e-6, outputCostPerToken: 1e-5 }, usage(1_000_000, 1_000_000))).toBe(12.5);
    expect(costOf({ inputCostPerToken: 3e-7, outputCostPerToken: 6e-7 }, usage(1000, 200))).toBe(0.00042);
  });

  it('drops binary noise: the figures a person would write, not 1.3399999999999999e-5', () => {
    // Each raw product below is off in its last binary digits (see the second column).
    const cases: [number, number, number, number, number][] = [
      [134, 0, 1e-7, 0, 1.34e-5],
      [10, 20, 1e-7, 2e-7, 5e-6],
      [1, 1, 0.1, 0.2, 0.3],
      [7, 9, 3e-8, 1.7e-7, 1.74e-6],
    ];
    for (const [prompt, completion, input, output, expected] of cases) {
      expect(prompt * input + completion * output).not.toBe(expected);
      expect(costOf({ inputCostPerToken: input, outputCostPerToken: output }, usage(prompt, completion))).toBe(expected);
    }
  });

  it('keeps 15 significant digits of a real cost', () => {
    expect(costOf({ inputCostPerToken: 1.23456789e-9, outputCostPerToken: 0 }, usage(123_456_789, 0))).toBe(0.152415787501905);
  });

  it('is 0 without usage, for free models, and for missing token counts', () => {
    expect(costOf({ inputCostPerToken: 1e-6, outputCostPerToken: 2e-6 }, undefined)).toBe(0);
    expect(costOf({ inputCostPerToken: 0, outputCostPerToken: 0 }, usage(500, 500))).toBe(0);
    const partial = { prompt_tokens: 10, total_tokens: 10 } as unknown as Parameters<typeof costOf>[1];
    expect(costOf({ inputCostPerToken: 1e-6, outputCostPerToken: 2e-6 }, partial)).toBe(1e-5);
  });
});
