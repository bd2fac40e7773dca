import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { expects, OptionalDate, OptionalString } from '../common/validation.js';

export const SPLITS = ['api_key', 'team_id', 'model'] as const;
export type Split = (typeof SPLITS)[number];

/** The usage page's filter: every part of the page (totals, series, tables, percentiles, errors) reads it. */
export class UsageQueryDto {
  @OptionalDate({ description: 'ISO date or time, inclusive (default: 30 days ago)', example: '2026-11-01' })
  start_date?: string;

  @OptionalDate({ description: 'ISO date or time; a bare date includes the whole day (default: now)', example: '2026-11-30' })
  end_date?: string;

  @OptionalString({ description: 'Key (plain sk-… or its hash)' })
  api_key?: string;

  @OptionalString({ description: 'Team id' })
  team_id?: string;

  @OptionalString({ description: 'Model alias' })
  model?: string;

  @ApiPropertyOptional({ type: 'string', enum: ['hour', 'day'], default: 'day', description: 'Series bucket (UTC)' })
  @IsOptional()
  @IsIn(['hour', 'day'], expects('one of "hour", "day"'))
  granularity?: 'hour' | 'day';

  @ApiPropertyOptional({ type: 'string', enum: SPLITS, description: 'One series per key, team or model (the top 6 by spend, the rest as "other")' })
  @IsOptional()
  @IsIn(SPLITS, expects('one of "api_key", "team_id", "model"'))
  split_by?: Split;
}

export class UsageTotalsDto {
  @ApiProperty({ type: 'number', description: 'USD' }) spend: number;
  @ApiProperty({ type: 'integer' }) requests: number;
  @ApiProperty({ type: 'integer' }) failed_requests: number;
  @ApiProperty({ type: 'integer' }) prompt_tokens: number;
  @ApiProperty({ type: 'integer' }) completion_tokens: number;
  @ApiProperty({ type: 'integer' }) total_tokens: number;
}

export class UsagePointDto extends UsageTotalsDto {
  @ApiProperty({ type: 'string', format: 'date-time', description: 'Start of the UTC hour or day' }) bucket: string;
  @ApiProperty({ type: 'string', nullable: true, description: 'The split_by value; "__other__" for the rest; null without split_by' }) group: string | null;
}

export class UsageKeyDto extends UsageTotalsDto {
  @ApiProperty({ type: 'string', description: 'Key hash ("" = the master key)' }) api_key: string;
  @ApiProperty({ type: 'string', nullable: true }) key_alias: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'sk-...abcd' }) key_name: string | null;
  @ApiProperty({ type: 'boolean', description: 'No longer in the key table; alias and name then come from its last spend row' }) deleted: boolean;
}

export class UsageTeamDto extends UsageTotalsDto {
  @ApiProperty({ type: 'string', nullable: true }) team_id: string | null;
  @ApiProperty({ type: 'string', nullable: true }) team_alias: string | null;
}

export class UsageModelDto extends UsageTotalsDto {
  @ApiProperty({ type: 'string', nullable: true }) model: string | null;
}

export class UsageResponseDto {
  @ApiProperty({ type: 'string', enum: ['hour', 'day'] }) granularity: 'hour' | 'day';
  @ApiProperty({ type: 'string', format: 'date-time' }) start: string;
  @ApiProperty({ type: 'string', format: 'date-time', description: 'Exclusive' }) end: string;
  @ApiProperty({ type: UsageTotalsDto }) totals: UsageTotalsDto;
  @ApiProperty({ type: UsagePointDto, isArray: true }) series: UsagePointDto[];
  @ApiProperty({ type: UsageKeyDto, isArray: true, description: 'Top 100 by spend' }) by_key: UsageKeyDto[];
  @ApiProperty({ type: UsageTeamDto, isArray: true }) by_team: UsageTeamDto[];
  @ApiProperty({ type: UsageModelDto, isArray: true }) by_model: UsageModelDto[];
}

export class PercentilesDto {
  @ApiProperty({ type: 'number', nullable: true }) p50: number | null;
  @ApiProperty({ type: 'number', nullable: true }) p90: number | null;
  @ApiProperty({ type: 'number', nullable: true }) p99: number | null;
}

export class LatencyPointDto {
  @ApiProperty({ type: 'string', format: 'date-time' }) bucket: string;
  @ApiProperty({ type: 'integer' }) requests: number;
  @ApiProperty({ type: PercentilesDto, description: 'Request duration, ms' }) latency_ms: PercentilesDto;
  @ApiProperty({ type: PercentilesDto, description: 'Time to first token (streams), ms' }) ttft_ms: PercentilesDto;
}

export class LatencyResponseDto {
  @ApiProperty({ type: 'integer', description: 'Successful requests the percentiles are computed from (the newest in the range, at most sample_limit)' })
  sampled: number;
  @ApiProperty({ type: 'integer' }) sample_limit: number;
  @ApiProperty({ type: PercentilesDto }) latency_ms: PercentilesDto;
  @ApiProperty({ type: PercentilesDto }) ttft_ms: PercentilesDto;
  @ApiProperty({ type: LatencyPointDto, isArray: true }) series: LatencyPointDto[];
}

export class ErrorGroupDto {
  @ApiProperty({ type: 'integer', nullable: true, example: 502, description: 'HTTP status the client got' }) status_code: number | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'upstream_error' }) error_type: string | null;
  @ApiProperty({ type: 'string', nullable: true }) model: string | null;
  @ApiProperty({ type: 'integer' }) count: number;
  @ApiProperty({ type: 'string', format: 'date-time' }) last_seen: string;
}
