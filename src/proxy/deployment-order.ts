import type { DeploymentConfig } from '../config/config.types.js';

/**
 * LiteLLM's `order`: only the deployments with the lowest order take requests; a higher order serves
 * once every lower one is unavailable (cooling, full, or already tried). No order sorts last.
 */
export function lowestOrder(candidates: readonly DeploymentConfig[]): readonly DeploymentConfig[] {
  let min = Infinity;
  for (const d of candidates) min = Math.min(min, d.order ?? Infinity);
  if (min === Infinity) return candidates;
  return candidates.filter((d) => (d.order ?? Infinity) === min);
}

/**
 * The weight simple-shuffle uses: LiteLLM's order of precedence is `weight`, then `rpm`, then `tpm`.
 * Only a key every candidate sets counts (LiteLLM would give a deployment without it weight 0: never picked).
 */
function weightKey(candidates: readonly DeploymentConfig[]): 'weight' | 'rpm' | 'tpm' | undefined {
  for (const key of ['weight', 'rpm', 'tpm'] as const) if (candidates.every((d) => (d[key] ?? 0) > 0)) return key;
  return undefined;
}

/** LiteLLM's simple-shuffle: a weighted random pick when deployments set a weight, else a uniform one. */
export function weightedShuffle(candidates: readonly DeploymentConfig[], random: () => number = Math.random): DeploymentConfig {
  const key = weightKey(candidates);
  if (key) {
    const total = candidates.reduce((sum, d) => sum + (d[key] ?? 0), 0);
    let r = random() * total;
    for (const d of candidates) {
      r -= d[key] ?? 0;
      if (r < 0) return d;
    }
  }
  return candidates[Math.floor(random() * candidates.length)];
}
