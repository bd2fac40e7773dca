import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';

const DURATION = /^\d+(s|m|h|d|w|mo)$/;
const DURATION_MSG = 'must be a duration like 30s, 30m, 1h, 30d, 2w or 1mo';

/** Settings shared by /key/generate and /key/update. */
export class KeySettingsDto {
  @ApiPropertyOptional({ type: [String], description: 'Model aliases this key may use; [] = every model', example: ['gemma-4-31b'] })
  // Omitted = unchanged, but null is refused: the column is NOT NULL, and "no list" must not quietly mean "every model".
  @ValidateIf((_, v) => v !== undefined)
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  models?: string[];

  @ApiPropertyOptional({ description: 'Unique, human-readable name', example: 'ci-runner' })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  @MaxLength(255)
  key_alias?: string | null;

  @ApiPropertyOptional({ description: 'Lifetime from now (`30s`, `30m`, `1h`, `30d`, `2w`, `1mo`); null = never expires', example: '30d', nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @Matches(DURATION, { message: `duration ${DURATION_MSG}` })
  duration?: string | null;

  @ApiPropertyOptional({ description: 'Spend (USD) at which requests are refused', example: 50, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  max_budget?: number | null;

  @ApiPropertyOptional({ description: 'Spend resets to 0 at the end of each period', example: '30d', nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @Matches(DURATION, { message: `budget_duration ${DURATION_MSG}` })
  budget_duration?: string | null;

  @ApiPropertyOptional({ description: 'Requests per minute', example: 600, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(1e12)
  rpm_limit?: number | null;

  @ApiPropertyOptional({ description: 'Tokens per minute', example: 100000, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(1e15)
  tpm_limit?: number | null;

  @ApiPropertyOptional({ description: 'Requests in flight at once', example: 10, nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(0)
  @Max(1e9)
  max_parallel_requests?: number | null;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { team: 'research' } })
  @ValidateIf((_, v) => v !== undefined)
  @IsObject()
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'alice', nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  user_id?: string | null;

  @ApiPropertyOptional({ example: 'research', nullable: true })
  @IsOptional()
  @ValidateIf((_, v) => v !== null)
  @IsString()
  team_id?: string | null;
}

export class GenerateKeyDto extends KeySettingsDto {
  @ApiPropertyOptional({ description: 'A key of your own (must start with sk-); random when omitted', example: 'sk-my-own-key-1234' })
  @IsOptional()
  @IsString()
  @Matches(/^sk-[\w-]{8,200}$/, { message: 'key must start with "sk-" followed by at least 8 letters, digits, _ or -' })
  key?: string;
}

export class UpdateKeyDto extends KeySettingsDto {
  @ApiProperty({ description: 'The key (plain sk-… or its hash)', example: 'sk-...' })
  @IsString()
  key: string;

  @ApiPropertyOptional({ description: 'Set the spend (e.g. 0 to reset)', example: 0 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  spend?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  blocked?: boolean;
}

export class DeleteKeysDto {
  @ApiPropertyOptional({ type: [String], description: 'Keys (plain or hash)' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  keys?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Key aliases' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  key_aliases?: string[];
}

export class KeyRefDto {
  @ApiProperty({ description: 'The key (plain sk-… or its hash)' })
  @IsString()
  key: string;
}

export class RegenerateKeyDto extends KeyRefDto {
  @ApiPropertyOptional({ description: 'The new key (random when omitted)' })
  @IsOptional()
  @IsString()
  @Matches(/^sk-[\w-]{8,200}$/, { message: 'new_key must start with "sk-" followed by at least 8 letters, digits, _ or -' })
  new_key?: string;
}

export class ListKeysQueryDto {
  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page?: number;

  @ApiPropertyOptional({ default: 10, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  size?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  key_alias?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  user_id?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  team_id?: string;

  @ApiPropertyOptional({ description: 'Return key objects instead of hashes' })
  @IsOptional()
  @IsString()
  return_full_object?: string;
}

export class KeyInfoQueryDto {
  @ApiPropertyOptional({ description: 'The key (plain or hash); defaults to the caller’s own key' })
  @IsOptional()
  @IsString()
  key?: string;
}
