import type { KeyRecord } from '../keys/key-record.js';

/** `uiSession`: the master key's rights through a web UI session (a tag of it, for the audit trail). */
export type Principal = { kind: 'master'; uiSession?: string } | { kind: 'virtual'; key: KeyRecord };

/** `models: []` (or LiteLLM's `all-proxy-models`) means every model. */
export function mayUseModel(p: Principal, alias: string): boolean {
  if (p.kind === 'master') return true;
  const allowed = p.key.models;
  return allowed.length === 0 || allowed.includes(alias) || allowed.includes('all-proxy-models') || allowed.includes('*');
}
