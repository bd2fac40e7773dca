import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../config/config.types.js';
import { lowestOrder, weightedShuffle } from './deployment-order.js';

const d = (id: string, over: Partial<DeploymentConfig> = {}) => ({ id, ...over }) as DeploymentConfig;

describe('deployment order and weights (LiteLLM simple-shuffle)', () => {
  it('keeps only the lowest order; deployments without one come last', () => {
    expect(lowestOrder([d('a', { order: 2 }), d('b', { order: 1 }), d('c')]).map((x) => x.id)).toEqual(['b']);
    expect(lowestOrder([d('a'), d('b')]).map((x) => x.id)).toEqual(['a', 'b']);
  });

  it('picks by weight, then rpm, then tpm, when every deployment sets it', () => {
    const ds = [d('a', { weight: 3, rpm: 1 }), d('b', { weight: 1, rpm: 100 })];
    expect(weightedShuffle(ds, () => 0.7).id).toBe('a');
    expect(weightedShuffle(ds, () => 0.8).id).toBe('b');
    expect(weightedShuffle([d('a', { rpm: 1 }), d('b', { rpm: 3 })], () => 0.3).id).toBe('b');
    expect(weightedShuffle([d('a', { weight: 5 }), d('b')], () => 0.6).id).toBe('b');
  });
});
