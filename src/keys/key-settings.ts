import { ApiError } from '../common/api-error.js';
import { addDuration } from '../common/duration.js';
import { applyScopeSettings } from '../common/scope-settings.dto.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { KeySettingsDto } from './key.dto.js';
import type { VerificationTokenEntity } from './verification-token.entity.js';

/** Names a key's `models` may hold besides the configured aliases: LiteLLM's "every model". */
export const ALL_MODELS = ['all-proxy-models', '*'];

/** What a key's, team's or user's `models` may name: every alias served now, `model_group_alias` names and LiteLLM's access groups (`model_info.access_groups`). */
export function knownModels(registry: ModelRegistry): string[] {
  const groups = registry.all().flatMap((d) => {
    const g = d.modelInfo?.access_groups;
    return Array.isArray(g) ? g.filter((x): x is string => typeof x === 'string') : [];
  });
  return [...new Set([...registry.aliases(), ...registry.rules.modelGroupAlias.keys(), ...groups])];
}

/**
 * Unknown model names are refused (a key naming only unknown models would never work): the 400 lists
 * the names that exist. `known` is every alias served now (config and database models).
 */
export function assertKnownModels(models: string[] | null | undefined, known: string[]): void {
  if (!models?.length) return;
  const names = new Set([...known, ...ALL_MODELS]);
  const unknown = models.filter((m) => !names.has(m));
  if (unknown.length === 0) return;
  const list = [...known]
    .sort()
    .map((m) => JSON.stringify(m))
    .join(', ');
  throw ApiError.badRequest(
    `Unknown model name(s) in models: ${unknown.map((m) => JSON.stringify(m)).join(', ')}. ` +
      (known.length ? `Known model names: ${list}` : 'No models are configured yet') +
      '; [] or "all-proxy-models" means every model.',
    'models',
  );
}

/**
 * Applies a /key/generate or /key/update body to a row. `undefined` = not sent, unchanged. `null` clears a
 * nullable column; for a column that is never null it keeps the value (the default on generate), as
 * LiteLLM's `exclude_none` does.
 */
export function applySettings(e: VerificationTokenEntity, dto: KeySettingsDto, now: Date): void {
  // What keys share with teams and users: models, budget and its period, limits, metadata, model_max_budget, organization.
  applyScopeSettings(e, dto, now);
  if (dto.key_alias !== undefined) e.key_alias = dto.key_alias;
  if (dto.duration !== undefined) e.expires = dto.duration === null || dto.duration === '-1' ? null : addDuration(now, dto.duration);
  // LiteLLM keeps these in metadata.
  const intoMetadata = { tags: dto.tags, model_rpm_limit: dto.model_rpm_limit, model_tpm_limit: dto.model_tpm_limit };
  for (const [k, v] of Object.entries(intoMetadata)) if (v != null) e.metadata = { ...(e.metadata ?? {}), [k]: v };
  if (dto.aliases != null) e.aliases = dto.aliases;
  if (dto.config != null) e.config = dto.config;
  if (dto.permissions != null) e.permissions = dto.permissions;
  if (dto.allowed_cache_controls != null) e.allowed_cache_controls = dto.allowed_cache_controls;
  if (dto.spend != null) e.spend = dto.spend;
  if (dto.blocked !== undefined) e.blocked = dto.blocked;
  if (dto.user_id !== undefined) e.user_id = dto.user_id;
  if (dto.team_id !== undefined) e.team_id = dto.team_id;
  if (dto.budget_id !== undefined) e.budget_id = dto.budget_id;
}

/** Two requests racing for one alias: the unique index decides; answer as for a taken alias. */
export function rethrowUniqueAlias(err: unknown): never {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint;
  if (code === '23505' && constraint === 'UQ_verification_token_key_alias') {
    throw ApiError.badRequest('Unique key aliases across all keys are required: this key_alias already exists.', 'key_alias');
  }
  throw err;
}
