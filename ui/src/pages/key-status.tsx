import type { Key } from '../api';
import { Badge } from '../components';
import { count } from '../format';

export const labelOf = (k: Pick<Key, 'key_alias' | 'key_name' | 'token'>) => k.key_alias || k.key_name || `${k.token.slice(0, 10)}…`;
export const isExpired = (k: Key) => k.expires !== null && new Date(k.expires).getTime() <= Date.now();
export const isOverBudget = (k: Key) => k.max_budget !== null && k.spend >= k.max_budget;

/** One state, the one that decides whether the key works: blocked, expired, over budget, else active. */
export function KeyStatus({ k }: { k: Key }) {
  if (k.blocked) return <Badge tone="danger">Blocked</Badge>;
  if (isExpired(k)) return <Badge tone="warn">Expired</Badge>;
  if (isOverBudget(k)) return <Badge tone="danger">Over budget</Badge>;
  return <Badge tone="ok">Active</Badge>;
}

/** "60 rpm · 10,000 tpm · 4 parallel", or null with none set. */
export function limitsOf(k: Pick<Key, 'rpm_limit' | 'tpm_limit' | 'max_parallel_requests'>): string | null {
  const parts = [
    k.rpm_limit !== null && `${count(k.rpm_limit)} rpm`,
    k.tpm_limit !== null && `${count(k.tpm_limit)} tpm`,
    k.max_parallel_requests !== null && `${count(k.max_parallel_requests)} parallel`,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : null;
}
