import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, Min } from 'class-validator';

export class SpendLogsQueryDto {
  @ApiPropertyOptional({ description: 'Key (plain sk-… or its hash)' })
  @IsOptional()
  @IsString()
  api_key?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  request_id?: string;

  @ApiPropertyOptional({ description: 'Model alias' })
  @IsOptional()
  @IsString()
  model?: string;

  @ApiPropertyOptional({ description: 'ISO date or time, inclusive', example: '2026-11-01' })
  @IsOptional()
  @IsISO8601()
  start_date?: string;

  @ApiPropertyOptional({ description: 'ISO date or time; a bare date includes the whole day', example: '2026-11-30' })
  @IsOptional()
  @IsISO8601()
  end_date?: string;

  @ApiPropertyOptional({ default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page?: number;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  page_size?: number;
}

export class SpendReportQueryDto {
  @ApiPropertyOptional({ example: '2026-11-01' })
  @IsOptional()
  @IsISO8601()
  start_date?: string;

  @ApiPropertyOptional({ example: '2026-11-30' })
  @IsOptional()
  @IsISO8601()
  end_date?: string;

  @ApiPropertyOptional({ enum: ['day', 'api_key', 'model'], default: 'day' })
  @IsOptional()
  @IsIn(['day', 'api_key', 'model'])
  group_by?: 'day' | 'api_key' | 'model';
}
