import { PickType } from '@nestjs/swagger';
import { addDuration } from './duration.js';
import { KeySettingsDto } from '../keys/key.dto.js';

/**
 * The settings a team and a user share with a key, validated exactly as on /key/generate (same fields,
 * same messages): models, budget and its period, rpm/tpm/parallel limits, metadata.
 */
export class ScopeSettingsDto extends PickType(KeySettingsDto, [
  'models',
  'max_budget',
  'budget_duration',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
  'metadata',
  'model_max_budget',
  'organization_id',
] as const) {}

/** The columns a team row and a user row share with ScopeSettingsDto. */
export interface ScopeColumns {
  models: string[];
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: Date | null;
  rpm_limit: string | null;
  tpm_limit: string | null;
  max_parallel_requests: number | null;
  metadata: Record<string, unknown>;
  model_max_budget: Record<string, unknown>;
  organization_id: string | null;
}

/**
 * Applies the shared settings to a team or user row. `undefined` = not sent, unchanged; `null` clears a
 * nullable column and leaves one that is never null (LiteLLM's `exclude_none`). A new `budget_duration`
 * starts its first period now.
 */
export function applyScopeSettings(e: ScopeColumns, dto: ScopeSettingsDto, now: Date): void {
  if (dto.models != null) e.models = dto.models;
  if (dto.max_budget !== undefined) e.max_budget = dto.max_budget;
  if (dto.budget_duration !== undefined) {
    e.budget_duration = dto.budget_duration;
    e.budget_reset_at = dto.budget_duration === null ? null : addDuration(now, dto.budget_duration);
  }
  if (dto.rpm_limit !== undefined) e.rpm_limit = dto.rpm_limit === null ? null : String(dto.rpm_limit);
  if (dto.tpm_limit !== undefined) e.tpm_limit = dto.tpm_limit === null ? null : String(dto.tpm_limit);
  if (dto.max_parallel_requests !== undefined) e.max_parallel_requests = dto.max_parallel_requests;
  if (dto.metadata != null) e.metadata = dto.metadata;
  if (dto.model_max_budget != null) e.model_max_budget = dto.model_max_budget;
  if (dto.organization_id !== undefined) e.organization_id = dto.organization_id;
}

const num = (v: string | null): number | null => (v === null ? null : Number(v));
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The shared columns of a team or user row as the API shows them: limits as numbers, times as ISO strings. */
export function scopeView(e: Pick<ScopeColumns, 'rpm_limit' | 'tpm_limit' | 'budget_reset_at'> & { created_at: Date | null; updated_at: Date | null }) {
  return {
    tpm_limit: num(e.tpm_limit),
    rpm_limit: num(e.rpm_limit),
    budget_reset_at: iso(e.budget_reset_at),
    created_at: iso(e.created_at),
    updated_at: iso(e.updated_at),
  };
}
