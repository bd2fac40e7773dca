import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { expects, says, OptionalString } from '../common/validation.js';

// Request bodies of /key/generate and /key/update: LiteLLM's GenerateKeyRequest / UpdateKeyRequest fields that
// map to a column of LiteLLM_VerificationToken (or, as LiteLLM does, into `metadata`). Every other field LiteLLM
// accepts is dropped by the global pipe (see README "Admin API and LiteLLM"). `null` is accepted everywhere
// LiteLLM accepts it: for a nullable column it clears it; for a column that is never null (models, metadata,
// aliases, ...) it means "the default" on /key/generate and "unchanged" on /key/update, as LiteLLM's
// `exclude_none` does.

/** A nullable whole-number limit from 0 to `max` (`null` clears it), with the messages every limit gives. */
function OptionalLimit(description: string, unit: string, max: number, example: number): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 0, description, example }),
    IsOptional(),
    IsInt(expects(`an integer (${unit})`)),
    Min(0, says('must not be negative')),
    Max(max, says(`must be at most ${max.toExponential().replace('e+', 'e')}`)),
  );
}

/** `-1` is LiteLLM's "never expires" on /key/update. */
export const DURATION = /^(\d+(s|m|h|d|w|mo)|-1)$/;
const DURATION_TEXT = 'a duration like 30s, 30m, 1h, 30d, 2w or 1mo';
const NUMBER = { allowNaN: false, allowInfinity: false };
const MAP = { type: 'object', additionalProperties: true, nullable: true } as const;
const STRINGS = { type: 'array', items: { type: 'string' }, nullable: true } as const;

/** Settings shared by /key/generate and /key/update. */
export class KeySettingsDto {
  @ApiPropertyOptional({
    ...STRINGS,
    description: 'Model aliases (or `all-proxy-models`) this key may use; [] or null = every model. Unknown names are refused.',
    example: [],
  })
  @IsOptional()
  @IsArray(expects('a list of model names (strings)'))
  @ArrayMaxSize(1000, says('must list at most 1000 models'))
  @IsString(expects('a list of model names (strings)', { each: true }))
  models?: string[] | null;

  @OptionalString({ nullable: true, description: 'Unique, human-readable name', example: null })
  @MaxLength(255, says('must be at most 255 characters'))
  key_alias?: string | null;

  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    description: 'Lifetime from now (`30s`, `30m`, `1h`, `30d`, `2w`, `1mo`); null or `-1` = never expires',
    example: '30d',
  })
  @IsOptional()
  @Matches(DURATION, expects(`${DURATION_TEXT} (or "-1" for never)`))
  duration?: string | null;

  @ApiPropertyOptional({ type: 'number', nullable: true, minimum: 0, description: 'Spend (USD) at which requests are refused; null = no budget', example: 50 })
  @IsOptional()
  @IsNumber(NUMBER, expects('a number (dollars)'))
  @Min(0, says('must not be negative'))
  max_budget?: number | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'Spend resets to 0 at the end of each period', example: '30d' })
  @IsOptional()
  @Matches(/^\d+(s|m|h|d|w|mo)$/, expects(DURATION_TEXT))
  budget_duration?: string | null;

  @OptionalLimit('Requests per minute', 'requests per minute', 1e12, 600)
  rpm_limit?: number | null;

  @OptionalLimit('Tokens per minute', 'tokens per minute', 1e15, 100000)
  tpm_limit?: number | null;

  @OptionalLimit('Requests in flight at once', 'requests in flight', 1e9, 10)
  max_parallel_requests?: number | null;

  @ApiPropertyOptional({ ...MAP, description: 'Free-form; replaced as a whole on update', example: { team: 'research' } })
  @IsOptional()
  @IsObject(expects('an object'))
  metadata?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...STRINGS, description: 'Stored as metadata.tags, as LiteLLM does', example: ['prod'] })
  @IsOptional()
  @IsArray(expects('a list of strings'))
  @IsString(expects('a list of strings', { each: true }))
  tags?: string[] | null;

  @ApiPropertyOptional({ ...MAP, description: 'Per-model RPM limits; stored in metadata as LiteLLM does (not enforced here)', example: null })
  @IsOptional()
  @IsObject(expects('an object'))
  model_rpm_limit?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...MAP, description: 'Per-model TPM limits; stored in metadata as LiteLLM does (not enforced here)', example: null })
  @IsOptional()
  @IsObject(expects('an object'))
  model_tpm_limit?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...MAP, description: 'Per-key model aliases, e.g. {"my-model": "gemma-4-31b"} (stored)', example: {} })
  @IsOptional()
  @IsObject(expects('an object'))
  aliases?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...MAP, description: "LiteLLM's (deprecated) key config (stored)", example: {} })
  @IsOptional()
  @IsObject(expects('an object'))
  config?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...MAP, description: 'Key permissions (stored)', example: {} })
  @IsOptional()
  @IsObject(expects('an object'))
  permissions?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...MAP, description: 'Per-model budgets, LiteLLM format (stored, not enforced here)', example: {} })
  @IsOptional()
  @IsObject(expects('an object'))
  model_max_budget?: Record<string, unknown> | null;

  @ApiPropertyOptional({ ...STRINGS, description: 'Allowed cache-control values (stored)', example: [] })
  @IsOptional()
  @IsArray(expects('a list of strings'))
  @IsString(expects('a list of strings', { each: true }))
  allowed_cache_controls?: string[] | null;

  @ApiPropertyOptional({ type: 'number', minimum: 0, description: 'Spend (USD) to start from or set (e.g. 0 to reset)', example: 0 })
  @IsOptional()
  @IsNumber(NUMBER, expects('a number (dollars)'))
  @Min(0, says('must not be negative'))
  spend?: number | null;

  @ApiPropertyOptional({ type: 'boolean', nullable: true, description: 'A blocked key is refused with 401', example: false })
  @IsOptional()
  @IsBoolean(expects('true or false'))
  blocked?: boolean | null;

  @OptionalString({ nullable: true, example: null })
  user_id?: string | null;

  @OptionalString({ nullable: true, example: null })
  team_id?: string | null;

  @OptionalString({ nullable: true, description: "A LiteLLM_BudgetTable id (stored; that table's limits are not enforced here)", example: null })
  budget_id?: string | null;

  @OptionalString({ nullable: true, example: null })
  organization_id?: string | null;
}

export class GenerateKeyDto extends KeySettingsDto {
  // No example value: Swagger's "Try it out" would mint that very key. null = random.
  @OptionalString({
    nullable: true,
    description: 'A key of your own: "sk-" and at least 8 letters, digits, _ or -. Random when omitted or null (recommended).',
    example: null,
  })
  @Matches(/^sk-[\w-]{8,200}$/, says('must start with "sk-" followed by at least 8 letters, digits, _ or -'))
  key?: string | null;
}

export class UpdateKeyDto extends KeySettingsDto {
  @ApiProperty({ type: 'string', description: 'The key (plain sk-… or its hash)', example: 'sk-...' })
  @IsString(expects('the key to update (plain or hash)'))
  key: string;
}
