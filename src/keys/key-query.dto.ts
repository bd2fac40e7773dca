import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { expects, says, OptionalString, OptionalCount } from '../common/validation.js';

export class DeleteKeysDto {
  @ApiPropertyOptional({ type: 'array', items: { type: 'string' }, nullable: true, description: 'Keys (plain or hash)', example: ['sk-...'] })
  @IsOptional()
  @IsArray(expects('a list of keys (strings)'))
  @ArrayMaxSize(1000, says('must list at most 1000 keys'))
  @IsString(expects('a list of keys (strings)', { each: true }))
  keys?: string[] | null;

  @ApiPropertyOptional({ type: 'array', items: { type: 'string' }, nullable: true, description: 'Key aliases', example: null })
  @IsOptional()
  @IsArray(expects('a list of aliases (strings)'))
  @ArrayMaxSize(1000, says('must list at most 1000 aliases'))
  @IsString(expects('a list of aliases (strings)', { each: true }))
  key_aliases?: string[] | null;
}

export class KeyRefDto {
  @ApiProperty({ type: 'string', description: 'The key (plain sk-… or its hash)', example: 'sk-...' })
  @IsString(expects('the key (plain or hash)'))
  key: string;
}

export class RegenerateKeyDto extends KeyRefDto {
  @OptionalString({
    nullable: true,
    description: 'The new key ("sk-" and at least 8 letters, digits, _ or -); random when omitted or null (recommended)',
    example: null,
  })
  @Matches(/^sk-[\w-]{8,200}$/, says('must start with "sk-" followed by at least 8 letters, digits, _ or -'))
  new_key?: string | null;
}

export class ListKeysQueryDto {
  @OptionalCount({ default: 1 })
  page?: number;

  @OptionalCount({ maximum: 100, default: 10 })
  size?: number;

  @OptionalString({ description: 'Exact alias (as LiteLLM)' })
  key_alias?: string;

  @OptionalString({ description: 'Part of the alias, any case (not in LiteLLM: the admin UI searches with it)' })
  key_alias_search?: string;

  @OptionalString()
  user_id?: string;

  @OptionalString()
  team_id?: string;

  @OptionalString()
  organization_id?: string;

  @OptionalString({ description: 'One key, by its hash (or the plain key)' })
  key_hash?: string;

  @ApiPropertyOptional({ type: 'string', enum: ['true', 'false'], description: 'Return key objects instead of hashes' })
  @IsOptional()
  @IsIn(['true', 'false'], expects('"true" or "false"'))
  return_full_object?: string;
}

export class KeyInfoQueryDto {
  @OptionalString({ description: 'The key (plain or hash); defaults to the caller’s own key' })
  key?: string;
}
