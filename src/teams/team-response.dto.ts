import { ApiProperty } from '@nestjs/swagger';
import { KeyViewDto } from '../keys/key-response.dto.js';
import { MemberDto } from './team.dto.js';

const MAP = { type: 'object', additionalProperties: true } as const;
const STRINGS = { type: 'array', items: { type: 'string' } } as const;
const TIME = { type: 'string', format: 'date-time', nullable: true } as const;

/** A LiteLLM_TeamTable row as LiteLLM answers it. */
export class TeamViewDto {
  @ApiProperty({ type: 'string' }) team_id: string;
  @ApiProperty({ type: 'string', nullable: true }) team_alias: string | null;
  @ApiProperty({ type: 'string', nullable: true }) organization_id: string | null;
  @ApiProperty(STRINGS) admins: string[];
  @ApiProperty(STRINGS) members: string[];
  @ApiProperty({ type: [MemberDto] }) members_with_roles: MemberDto[];
  @ApiProperty(MAP) metadata: Record<string, unknown>;
  @ApiProperty({ type: 'number', nullable: true }) max_budget: number | null;
  @ApiProperty({ type: 'number' }) spend: number;
  @ApiProperty(STRINGS) models: string[];
  @ApiProperty({ type: 'integer', nullable: true }) max_parallel_requests: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) tpm_limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) rpm_limit: number | null;
  @ApiProperty({ type: 'string', nullable: true }) budget_duration: string | null;
  @ApiProperty(TIME) budget_reset_at: string | null;
  @ApiProperty({ type: 'boolean' }) blocked: boolean;
  @ApiProperty(MAP) model_spend: Record<string, unknown>;
  @ApiProperty(MAP) model_max_budget: Record<string, unknown>;
  @ApiProperty(TIME) created_at: string | null;
  @ApiProperty(TIME) updated_at: string | null;
}

export class UpdateTeamResponseDto {
  @ApiProperty({ type: 'string' }) team_id: string;
  @ApiProperty({ type: TeamViewDto }) data: TeamViewDto;
}

export class TeamInfoResponseDto {
  @ApiProperty({ type: 'string' }) team_id: string;
  @ApiProperty({ type: TeamViewDto }) team_info: TeamViewDto;
  @ApiProperty({ type: [KeyViewDto] }) keys: KeyViewDto[];
  @ApiProperty({ type: 'array', items: MAP, description: 'Always [] (per-member budgets are not kept)' }) team_memberships: unknown[];
}

export class DeleteTeamsResponseDto {
  @ApiProperty(STRINGS) deleted_teams: string[];
}

export class TeamMemberAddResponseDto extends TeamViewDto {
  @ApiProperty({ type: 'array', items: MAP, description: 'The LiteLLM_UserTable rows of the members' }) updated_users: unknown[];
  @ApiProperty({ type: 'array', items: MAP }) updated_team_memberships: unknown[];
}
