import type { KeyRecord } from '../keys/key-record.js';

/** `uiSession`: the master key's rights through a web UI session (a tag of it, for the audit trail). */
export type Principal = { kind: 'master'; uiSession?: string } | { kind: 'virtual'; key: KeyRecord };

/**
 * `models: []` (or LiteLLM's `all-proxy-models`, `*`) means every model; a name in the list that is one
 * of the alias's access groups (`model_info.access_groups`) grants it too, as in LiteLLM.
 */
export function listAllows(allowed: readonly string[], alias: string, accessGroups: readonly string[] = []): boolean {
  if (allowed.length === 0 || allowed.includes(alias) || allowed.includes('all-proxy-models') || allowed.includes('*')) return true;
  return accessGroups.some((g) => allowed.includes(g));
}

/**
 * Which of a key's lists refuses `alias`: the key's own, its team's or its user's (the effective models are
 * their intersection), or undefined when the model is allowed.
 */
export function refusedBy(
  key: KeyRecord,
  alias: string,
  accessGroups: readonly string[] = [],
): { scope: 'key' | 'team' | 'user'; models: string[] } | undefined {
  if (!listAllows(key.models, alias, accessGroups)) return { scope: 'key', models: key.models };
  if (key.team && !listAllows(key.team.models, alias, accessGroups)) return { scope: 'team', models: key.team.models };
  if (key.user && !listAllows(key.user.models, alias, accessGroups)) return { scope: 'user', models: key.user.models };
  return undefined;
}

export function mayUseModel(p: Principal, alias: string, accessGroups: readonly string[] = []): boolean {
  return p.kind === 'master' || refusedBy(p.key, alias, accessGroups) === undefined;
}
