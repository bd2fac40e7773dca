import type { KeyRecord } from '../keys/key-record.js';

export type Principal = { kind: 'master' } | { kind: 'virtual'; key: KeyRecord };

/**
 * `models: []` (or LiteLLM's `all-proxy-models`) means every model; a name in `models` that is one of
 * the alias's access groups (`model_info.access_groups`) grants it too, as in LiteLLM.
 */
export function mayUseModel(p: Principal, alias: string, accessGroups: readonly string[] = []): boolean {
  if (p.kind === 'master') return true;
  const allowed = p.key.models;
  if (allowed.length === 0 || allowed.includes(alias) || allowed.includes('all-proxy-models') || allowed.includes('*')) return true;
  return accessGroups.some((g) => allowed.includes(g));
}
