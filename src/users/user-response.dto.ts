import { ApiProperty } from '@nestjs/swagger';
import { GenerateKeyResponseDto, KeyViewDto } from '../keys/key-response.dto.js';

const MAP = { type: 'object', additionalProperties: true } as const;
const STRINGS = { type: 'array', items: { type: 'string' } } as const;
const TIME = { type: 'string', format: 'date-time', nullable: true } as const;

/** A LiteLLM_UserTable row as LiteLLM answers it (never the password column). */
export class UserViewDto {
  @ApiProperty({ type: 'string' }) user_id: string;
  @ApiProperty({ type: 'string', nullable: true }) user_alias: string | null;
  @ApiProperty({ type: 'string', nullable: true }) user_email: string | null;
  @ApiProperty({ type: 'string', nullable: true }) user_role: string | null;
  @ApiProperty({ type: 'string', nullable: true }) team_id: string | null;
  @ApiProperty({ type: 'string', nullable: true }) organization_id: string | null;
  @ApiProperty(STRINGS) teams: string[];
  @ApiProperty({ type: 'number', nullable: true }) max_budget: number | null;
  @ApiProperty({ type: 'number' }) spend: number;
  @ApiProperty(STRINGS) models: string[];
  @ApiProperty(MAP) metadata: Record<string, unknown>;
  @ApiProperty({ type: 'integer', nullable: true }) max_parallel_requests: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) tpm_limit: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) rpm_limit: number | null;
  @ApiProperty({ type: 'string', nullable: true }) budget_duration: string | null;
  @ApiProperty(TIME) budget_reset_at: string | null;
  @ApiProperty(MAP) model_spend: Record<string, unknown>;
  @ApiProperty(MAP) model_max_budget: Record<string, unknown>;
  @ApiProperty(TIME) created_at: string | null;
  @ApiProperty(TIME) updated_at: string | null;
}

/** LiteLLM's NewUserResponse: the minted key's fields, then the user's (its `models`, `max_budget` are the user's). */
export class NewUserResponseDto extends GenerateKeyResponseDto {
  @ApiProperty({ type: 'string', nullable: true }) user_email: string | null;
  @ApiProperty({ type: 'string', nullable: true }) user_alias: string | null;
  @ApiProperty({ type: 'string', nullable: true }) user_role: string | null;
  @ApiProperty(STRINGS) teams: string[];
}

export class UpdateUserResponseDto {
  @ApiProperty({ type: 'string' }) user_id: string;
  @ApiProperty({ type: UserViewDto }) data: UserViewDto;
}

export class UserInfoResponseDto {
  @ApiProperty({ type: 'string' }) user_id: string;
  @ApiProperty({ type: UserViewDto }) user_info: UserViewDto;
  @ApiProperty({ type: [KeyViewDto] }) keys: KeyViewDto[];
  @ApiProperty({ type: 'array', items: MAP, description: 'The LiteLLM_TeamTable rows named in `teams` are not expanded here: ids only' }) teams: string[];
}

export class ListUsersResponseDto {
  @ApiProperty({ type: [UserViewDto] }) users: UserViewDto[];
  @ApiProperty({ type: 'integer' }) total: number;
  @ApiProperty({ type: 'integer' }) page: number;
  @ApiProperty({ type: 'integer' }) page_size: number;
  @ApiProperty({ type: 'integer' }) total_pages: number;
}

export class DeleteUsersResponseDto {
  @ApiProperty(STRINGS) deleted_users: string[];
}
