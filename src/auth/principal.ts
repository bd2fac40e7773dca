import type { KeyRecord } from '../keys/key-record.js';

export type Principal = { kind: 'master' } | { kind: 'virtual'; key: KeyRecord };

/** The hash booked in spend logs for a principal ('' for the master key, as LiteLLM does with no key). */
export function principalToken(p: Principal): string {
  return p.kind === 'virtual' ? p.key.token : 'master';
}
