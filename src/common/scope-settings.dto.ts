import { PickType } from '@nestjs/swagger';
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
