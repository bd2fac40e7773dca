import { ApiExtraModels, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

const MAP = { type: 'object', additionalProperties: true } as const;
const STRINGS = { type: 'array', items: { type: 'string' } } as const;

/** A key's row as LiteLLM's /key/info shows it: every column except `token` (never the plain key). */
export class KeyInfoDto {
  @ApiProperty({ type: 'string', nullable: true, description: 'Masked key, e.g. sk-...AbCd' }) key_name: string | null;
  @ApiProperty({ type: 'string', nullable: true }) key_alias: string | null;
  @ApiProperty({ type: 'number', description: 'Live spend (USD): written plus booked, not yet written' }) spend: number;
  @ApiProperty({
    type: 'number',
    description: "Worst-case cost (USD) reserved by this key's requests in flight on the instance that answers; not part of `spend` (not in LiteLLM)",
  })
  reserved_spend: number;
  @ApiProperty({ type: 'number', nullable: true }) max_budget: number | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) expires: string | null;
  @ApiProperty(STRINGS) models: string[];
  @ApiProperty(MAP) aliases: Record<string, unknown>;
  @ApiProperty(MAP) config: Record<string, unknown>;
  @ApiProperty(MAP) permissions: Record<string, unknown>;
  @ApiProperty({ type: 'string', nullable: true }) user_id: string | null;
  @ApiProperty({ type: 'string', nullable: true }) team_id: string | null;
  @ApiProperty({ type: 'string', nullable: true }) organization_id: string | null;
  @ApiProperty({ type: 'string', nullable: true }) budget_id: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) max_parallel_requests: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) tpm_limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) rpm_limit: number | null;
  @ApiProperty({ type: 'string', nullable: true }) budget_duration: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) budget_reset_at: string | null;
  @ApiProperty({ type: 'boolean', nullable: true }) blocked: boolean | null;
  @ApiProperty({ type: 'boolean' }) soft_budget_cooldown: boolean;
  @ApiProperty({ ...MAP, description: 'Tags are in metadata.tags' }) metadata: Record<string, unknown>;
  @ApiProperty(STRINGS) allowed_cache_controls: string[];
  @ApiProperty(MAP) model_spend: Record<string, unknown>;
  @ApiProperty(MAP) model_max_budget: Record<string, unknown>;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) created_at: string | null;
  @ApiProperty({ type: 'string', nullable: true }) created_by: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) updated_at: string | null;
  @ApiProperty({ type: 'string', nullable: true }) updated_by: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) last_active: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) rotation_count: number | null;
}

/** A key row with its hash, as /key/list (full objects), /key/block and /key/unblock answer. */
export class KeyViewDto extends KeyInfoDto {
  @ApiProperty({ type: 'string', description: 'SHA-256 hex of the key' }) token: string;
}

export class GenerateKeyResponseDto extends KeyViewDto {
  @ApiProperty({ type: 'string', description: 'The plain key: shown in this answer only' }) key: string;
  @ApiProperty({ type: 'string', description: 'Same as token' }) token_id: string;
  @ApiProperty({ type: 'string', nullable: true }) duration: string | null;
}

export class UpdateKeyResponseDto extends KeyViewDto {
  @ApiProperty({ type: 'string', description: 'The key as passed in the request' }) key: string;
}

export class KeyInfoResponseDto {
  @ApiProperty({ type: 'string', description: "The key as passed in ?key=, or the caller's key hash when omitted (as LiteLLM)" }) key: string;
  @ApiProperty({ type: KeyInfoDto }) info: KeyInfoDto;
}

export class DeleteKeysResponseDto {
  @ApiProperty({ ...STRINGS, description: 'The keys and aliases passed in that were deleted' }) deleted_keys: string[];
  @ApiPropertyOptional({ ...STRINGS, description: 'Keys and aliases passed in that did not exist (nothing to delete)' }) not_found_keys?: string[];
}

@ApiExtraModels(KeyViewDto)
export class ListKeysResponseDto {
  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ type: 'string' }, { $ref: getSchemaPath(KeyViewDto) }] },
    description: 'Hashes, or key objects with return_full_object=true',
  })
  keys: Array<string | KeyViewDto>;
  @ApiProperty({ type: 'integer' }) total_count: number;
  @ApiProperty({ type: 'integer' }) current_page: number;
  @ApiProperty({ type: 'integer' }) total_pages: number;
}
