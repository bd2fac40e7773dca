import { ApiProperty } from '@nestjs/swagger';
import { OptionalDate, OptionalString, OptionalCount } from '../common/validation.js';

export const AUDIT_MAX_PAGE_SIZE = 1000;

export class AuditQueryDto {
  @OptionalCount({ default: 1 })
  page?: number;

  @OptionalCount({ maximum: AUDIT_MAX_PAGE_SIZE, default: 50 })
  page_size?: number;

  @OptionalString({ description: 'LiteLLM_VerificationToken, LiteLLM_ProxyModelTable, config_file, …', example: 'LiteLLM_VerificationToken' })
  table_name?: string;

  @OptionalString({ description: 'The changed object: a key hash (or the plain key), a model id, the config file path' })
  object_id?: string;

  @OptionalString({ description: 'created, updated, deleted, rotated, blocked, unblocked, reloaded', example: 'updated' })
  action?: string;

  @OptionalString({ description: '"master key", "ui:admin", "SIGHUP", or a user id', example: 'ui:admin' })
  changed_by?: string;

  @OptionalDate({ description: 'ISO date or time, inclusive', example: '2026-11-01' })
  start_date?: string;

  @OptionalDate({ description: 'ISO date or time; a bare date includes the whole day', example: '2026-11-30' })
  end_date?: string;
}

export class AuditLogEntryDto {
  @ApiProperty({ type: 'string', format: 'uuid' }) id: string;
  @ApiProperty({ type: 'string', format: 'date-time', description: 'When the change was made' }) updated_at: string;
  @ApiProperty({ type: 'string', description: '"master key", "ui:admin", "SIGHUP", or a user id', example: 'master key' }) changed_by: string;
  @ApiProperty({ type: 'string', description: 'The credential, masked: sk-...abcd, ui-session:<tag>, or empty', example: 'sk-...abcd' })
  changed_by_api_key: string;
  @ApiProperty({ type: 'string', example: 'updated' }) action: string;
  @ApiProperty({ type: 'string', example: 'LiteLLM_VerificationToken' }) table_name: string;
  @ApiProperty({ type: 'string', description: 'Key hash, model id, or config file path' }) object_id: string;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'The object before the change (secrets masked); null when created' })
  before_value: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'The object after the change (secrets masked); null when deleted' })
  updated_values: Record<string, unknown> | null;
}

export class AuditListResponseDto {
  @ApiProperty({ type: [AuditLogEntryDto], description: 'Newest first' }) audit_logs: AuditLogEntryDto[];
  @ApiProperty({ type: 'integer' }) total: number;
  @ApiProperty({ type: 'integer' }) page: number;
  @ApiProperty({ type: 'integer' }) page_size: number;
  @ApiProperty({ type: 'integer' }) total_pages: number;
}
