import { hashKey } from '../common/secrets.js';
import type { KeyInfoDto, KeyViewDto } from './key-response.dto.js';
import type { VerificationTokenEntity } from './verification-token.entity.js';

const HASH = /^[0-9a-f]{64}$/;

/** Accepts a plain key or its SHA-256 hash, as LiteLLM does. */
export function tokenOf(key: string): string {
  return HASH.test(key) ? key : hashKey(key);
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
const num = (v: string | number | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));

/** A key's spend as this instance knows it: booked (written and pending), and reserved by requests in flight. */
export interface LiveSpend {
  spend: number;
  reserved: number;
}

/** Every column of the key's row but `token`, as LiteLLM's /key/info answers it; `spend` is the live figure. */
export function toKeyInfo(e: VerificationTokenEntity, live: LiveSpend): KeyInfoDto {
  return {
    key_name: e.key_name,
    key_alias: e.key_alias,
    spend: live.spend,
    reserved_spend: live.reserved,
    max_budget: e.max_budget,
    expires: iso(e.expires),
    models: e.models ?? [],
    aliases: e.aliases ?? {},
    config: e.config ?? {},
    permissions: e.permissions ?? {},
    user_id: e.user_id,
    team_id: e.team_id,
    organization_id: e.organization_id ?? null,
    budget_id: e.budget_id ?? null,
    max_parallel_requests: e.max_parallel_requests,
    tpm_limit: num(e.tpm_limit),
    rpm_limit: num(e.rpm_limit),
    budget_duration: e.budget_duration,
    budget_reset_at: iso(e.budget_reset_at),
    blocked: e.blocked,
    soft_budget_cooldown: e.soft_budget_cooldown ?? false,
    metadata: e.metadata ?? {},
    allowed_cache_controls: e.allowed_cache_controls ?? [],
    model_spend: e.model_spend ?? {},
    model_max_budget: e.model_max_budget ?? {},
    created_at: iso(e.created_at),
    created_by: e.created_by ?? null,
    updated_at: iso(e.updated_at),
    updated_by: e.updated_by ?? null,
    last_active: iso(e.last_active),
    rotation_count: e.rotation_count ?? null,
  };
}

/** The row with its hash (`token`), for answers that name the key by hash. */
export function toKeyView(e: VerificationTokenEntity, live: LiveSpend): KeyViewDto {
  return { token: e.token, ...toKeyInfo(e, live) };
}

/** The row as /key/info shows it (numbers as numbers, booked spend), with its hash: the audit trail masks that. */
export function auditRow(e: VerificationTokenEntity | null): Record<string, unknown> | null {
  if (!e) return null;
  const { reserved_spend: _, ...row } = toKeyView(e, { spend: e.spend, reserved: 0 });
  return row;
}
