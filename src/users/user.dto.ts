import { ApiPropertyOptional, IntersectionType, PickType } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { ScopeSettingsDto } from '../common/scope-settings.dto.js';
import { expects, OptionalString, OptionalCount, IdField, IdList } from '../common/validation.js';
import { DURATION, KeySettingsDto } from '../keys/key.dto.js';

// LiteLLM's NewUserRequest / UpdateUserRequest / DeleteUserRequest (litellm/proxy/_types.py): the fields that map
// to a column of LiteLLM_UserTable, plus what /user/new passes on to the key it mints. Unknown fields are dropped.

/** LiteLLM's `LitellmUserRoles`. */
export const USER_ROLES = ['proxy_admin', 'proxy_admin_viewer', 'org_admin', 'internal_user', 'internal_user_viewer', 'team', 'customer'] as const;

export class UserSettingsDto extends IntersectionType(ScopeSettingsDto, PickType(KeySettingsDto, ['spend'] as const)) {
  @OptionalString({ nullable: true, example: 'krrish@berri.ai' })
  user_email?: string | null;

  @OptionalString({ nullable: true, example: null })
  user_alias?: string | null;

  @ApiPropertyOptional({ enum: USER_ROLES, nullable: true, example: 'internal_user' })
  @IsOptional()
  @IsIn(USER_ROLES, expects(`one of ${USER_ROLES.join(', ')}`))
  user_role?: string | null;
}

export class NewUserDto extends UserSettingsDto {
  @OptionalString({ nullable: true, description: 'Random when omitted', example: null })
  user_id?: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true, description: 'Team ids the user belongs to' })
  @IsOptional()
  @IsArray(expects('a list of team ids'))
  @IsString(expects('a list of team ids', { each: true }))
  teams?: string[] | null;

  @ApiPropertyOptional({ type: 'boolean', nullable: true, description: 'Mint a key for the user (default true, as LiteLLM)' })
  @IsOptional()
  @IsBoolean(expects('true or false'))
  auto_create_key?: boolean | null;

  @OptionalString({ nullable: true, description: "The minted key's alias" })
  key_alias?: string | null;

  @OptionalString({ nullable: true, description: "The minted key's team" })
  team_id?: string | null;

  @ApiPropertyOptional({ type: 'string', nullable: true, description: "The minted key's lifetime (30s, 30m, 1h, 30d, 2w, 1mo)" })
  @IsOptional()
  @Matches(DURATION, expects('a duration like 30s, 30m, 1h, 30d, 2w or 1mo'))
  duration?: string | null;
}

export class UpdateUserDto extends UserSettingsDto {
  @IdField('user')
  user_id: string;
}

export class DeleteUsersDto {
  @IdList('user')
  user_ids: string[];
}

export class UserInfoQueryDto {
  @OptionalString({ description: 'The user to read' })
  user_id?: string;
}

export class ListUsersQueryDto {
  @OptionalCount({ default: 1, expected: 'an integer' })
  page?: number;

  @OptionalCount({ maximum: 100, default: 25, expected: 'an integer' })
  page_size?: number;

  @OptionalString({ description: 'Only users of this role' })
  role?: string;
}
