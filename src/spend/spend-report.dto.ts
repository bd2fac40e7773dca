import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { expects, OptionalDate, OptionalString, says } from '../common/validation.js';

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

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: 'Page number; without page and page_size every matching row is returned (as LiteLLM)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt(expects('an integer ≥ 1'))
  @Min(1, says('must be at least 1'))
  page?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 1000, description: 'Rows per page (default 100 when `page` is given)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt(expects('an integer from 1 to 1000'))
  @Min(1, says('must be at least 1'))
  @Max(1000, says('must be at most 1000'))
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
