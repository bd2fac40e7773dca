import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { ScopeSettingsDto } from '../common/scope-settings.dto.js';
import { expects, OptionalString, says, IdField, IdList } from '../common/validation.js';

// LiteLLM's NewTeamRequest / UpdateTeamRequest / TeamMemberAddRequest ... (litellm/proxy/_types.py): the fields
// that map to a column of LiteLLM_TeamTable. Unknown fields are dropped by the global pipe, null is accepted.

export const TEAM_ROLES = ['admin', 'user'] as const;

/** LiteLLM's `Member`: a user of the team, by id and/or email. */
export class MemberDto {
  @ApiProperty({ enum: TEAM_ROLES, example: 'user' })
  @IsIn(TEAM_ROLES, expects('"admin" or "user"'))
  role: 'admin' | 'user';

  @OptionalString({ nullable: true, example: 'krrish247652@berri.ai' })
  user_id?: string | null;

  @OptionalString({ nullable: true, example: null })
  user_email?: string | null;
}

export class TeamSettingsDto extends ScopeSettingsDto {
  @OptionalString({ nullable: true, example: 'my-new-team' })
  @MaxLength(255, says('must be at most 255 characters'))
  team_alias?: string | null;

  @ApiPropertyOptional({ type: 'boolean', nullable: true, description: "A blocked team's keys are refused with 401", example: false })
  @IsOptional()
  @IsBoolean(expects('true or false'))
  blocked?: boolean | null;

  @ApiPropertyOptional({ type: [MemberDto], nullable: true })
  @IsOptional()
  @IsArray(expects('a list of members ({"role", "user_id", "user_email"})'))
  @ValidateNested({ each: true })
  @Type(() => MemberDto)
  members_with_roles?: MemberDto[] | null;
}

export class NewTeamDto extends TeamSettingsDto {
  @OptionalString({ nullable: true, description: 'Random when omitted', example: null })
  team_id?: string | null;
}

export class TeamIdDto {
  @IdField('team')
  team_id: string;
}

export class UpdateTeamDto extends TeamSettingsDto {
  @IdField('team')
  team_id: string;
}

export class DeleteTeamsDto {
  @IdList('team')
  team_ids: string[];
}

export class TeamMemberAddDto {
  @IdField('team')
  team_id: string;

  @ApiProperty({ type: [MemberDto], description: 'One member or a list of members' })
  @Type(() => MemberDto)
  @Transform(({ value }: { value: unknown }) => (value === null || value === undefined || Array.isArray(value) ? value : [value]))
  @IsArray(expects('a member ({"role", "user_id", "user_email"}) or a list of members'))
  @ArrayMinSize(1, says('must name at least one member'))
  @ValidateNested({ each: true })
  member: MemberDto[];
}

export class TeamMemberDeleteDto {
  @IdField('team')
  team_id: string;

  @OptionalString({ nullable: true })
  user_id?: string | null;

  @OptionalString({ nullable: true })
  user_email?: string | null;
}
