import { maskSecrets } from '../common/secrets.js';

/** Columns whose names look secret (`key_*`) but hold none: kept as written. */
const NOT_SECRET = new Set(['key_alias', 'key_name']);
const HASH = /^[0-9a-f]{64}$/;

/**
 * An object as the audit trail stores it: plain JSON (dates as ISO strings), secrets masked at any
 * depth (`litellm_params.api_key`, `metadata.api_key`, credentials in URLs), a key's hash cut to its
 * first 8 characters (the full hash is the row's `object_id`); plain keys never reach it.
 */
export function auditValue(value: unknown): Record<string, unknown> | null {
  if (value === null || value === undefined) return null;
  const json = JSON.parse(JSON.stringify(value)) as unknown;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { value: maskSecrets(json) };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) {
    if (k === 'token' && typeof v === 'string') out[k] = HASH.test(v) ? `${v.slice(0, 8)}…` : '********';
    else if (NOT_SECRET.has(k)) out[k] = v;
    else out[k] = (maskSecrets({ [k]: v }) as Record<string, unknown>)[k];
  }
  return out;
}
