import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** A LiteLLM_SpendLogs row, as /spend/logs answers it. */
export class SpendLogRowDto {
  @ApiProperty({ type: 'string' }) request_id: string;
  @ApiProperty({ type: 'string', example: 'acompletion' }) call_type: string;
  @ApiProperty({ type: 'string', description: 'Key hash' }) api_key: string;
  @ApiProperty({ type: 'number', description: 'USD' }) spend: number;
  @ApiProperty({ type: 'integer' }) total_tokens: number;
  @ApiProperty({ type: 'integer' }) prompt_tokens: number;
  @ApiProperty({ type: 'integer' }) completion_tokens: number;
  @ApiProperty({ type: 'string', format: 'date-time' }) startTime: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) endTime: string;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) completionStartTime: string | null;
  @ApiProperty({ type: 'integer', nullable: true }) request_duration_ms: number | null;
  @ApiProperty({ type: 'string', description: 'Upstream model id' }) model: string;
  @ApiProperty({ type: 'string', nullable: true }) model_id: string | null;
  @ApiProperty({ type: 'string', nullable: true, description: 'Model alias' }) model_group: string | null;
  @ApiProperty({ type: 'string', nullable: true }) api_base: string | null;
  @ApiProperty({ type: 'string', nullable: true }) user: string | null;
  @ApiProperty({ type: 'string', nullable: true }) team_id: string | null;
  @ApiProperty({ type: 'string', nullable: true, example: 'success' }) status: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) metadata: Record<string, unknown> | null;
}

export class GlobalSpendDto {
  @ApiProperty({ type: 'number', description: 'Everything ever booked (USD)' }) spend: number;
  @ApiProperty({ type: 'number', nullable: true, description: 'Always null (no proxy-wide budget)' }) max_budget: number | null;
}

/** One group of /global/spend/report: a day, a key or a model, with its totals. */
export class SpendReportRowDto {
  @ApiPropertyOptional({ type: 'string', format: 'date', description: 'group_by=day' }) group_by_day?: string;
  @ApiPropertyOptional({ type: 'string', description: 'group_by=api_key' }) api_key?: string;
  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'group_by=api_key' }) key_alias?: string | null;
  @ApiPropertyOptional({ type: 'string', nullable: true, description: 'group_by=api_key' }) key_name?: string | null;
  @ApiPropertyOptional({ type: 'string', description: 'group_by=model' }) model?: string;
  @ApiProperty({ type: 'number' }) total_spend: number;
  @ApiProperty({ type: 'integer' }) prompt_tokens: number;
  @ApiProperty({ type: 'integer' }) completion_tokens: number;
  @ApiProperty({ type: 'integer' }) total_tokens: number;
  @ApiProperty({ type: 'integer' }) requests: number;
  @ApiProperty({ type: 'integer' }) failed_requests: number;
}
