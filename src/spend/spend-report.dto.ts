import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { expects, OptionalDate, OptionalString, OptionalCount } from '../common/validation.js';

export class SpendLogsQueryDto {
  @OptionalString({ description: 'Key (plain sk-… or its hash)' })
  api_key?: string;

  @OptionalString({ description: 'The `user` the client sent (LiteLLM: the user id)' })
  user_id?: string;

  @OptionalString()
  request_id?: string;

  @OptionalString({ description: 'Team id (not in LiteLLM: the admin UI filters by it)' })
  team_id?: string;

  @OptionalString({ description: 'Model alias' })
  model?: string;

  @OptionalDate({ description: 'ISO date or time, inclusive', example: '2026-11-01' })
  start_date?: string;

  @OptionalDate({ description: 'ISO date or time; a bare date includes the whole day', example: '2026-11-30' })
  end_date?: string;

  @OptionalCount({ description: 'Page number; without page and page_size every matching row is returned (as LiteLLM)' })
  page?: number;

  @OptionalCount({ maximum: 1000, description: 'Rows per page (default 100 when `page` is given)' })
  page_size?: number;
}

export class SpendReportQueryDto {
  @OptionalDate({ example: '2026-11-01' })
  start_date?: string;

  @OptionalDate({ example: '2026-11-30' })
  end_date?: string;

  @ApiPropertyOptional({ type: 'string', enum: ['day', 'api_key', 'model'], default: 'day' })
  @IsOptional()
  @IsIn(['day', 'api_key', 'model'], expects('one of "day", "api_key", "model"'))
  group_by?: 'day' | 'api_key' | 'model';
}
