import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One row per request, LiteLLM's shape. Written in batches by the spend writer, read by reports. */
@Entity({ name: 'LiteLLM_SpendLogs' })
@Index('IDX_spend_logs_start_time', ['startTime'])
@Index('IDX_spend_logs_api_key_start_time', ['api_key', 'startTime'])
@Index('IDX_spend_logs_model_group_start_time', ['model_group', 'startTime'])
// Failed rows only: the usage page's error breakdown reads these.
@Index('IDX_spend_logs_failures', ['startTime'], { where: `status = 'failure'` })
export class SpendLogEntity {
  @PrimaryColumn({ type: 'text' }) request_id: string;
  @Column({ type: 'text' }) call_type: string;
  @Column({ type: 'text', default: '' }) api_key: string;
  @Column({ type: 'double precision', default: 0 }) spend: number;
  @Column({ type: 'integer', default: 0 }) total_tokens: number;
  @Column({ type: 'integer', default: 0 }) prompt_tokens: number;
  @Column({ type: 'integer', default: 0 }) completion_tokens: number;
  @Column({ type: 'timestamptz', name: 'startTime' }) startTime: Date;
  @Column({ type: 'timestamptz', name: 'endTime' }) endTime: Date;
  @Column({ type: 'integer', nullable: true }) request_duration_ms: number | null;
  @Column({ type: 'timestamptz', name: 'completionStartTime', nullable: true }) completionStartTime: Date | null;
  @Column({ type: 'text', default: '' }) model: string;
  @Column({ type: 'text', nullable: true, default: '' }) model_id: string | null;
  @Column({ type: 'text', nullable: true, default: '' }) model_group: string | null;
  @Column({ type: 'text', nullable: true, default: '' }) custom_llm_provider: string | null;
  @Column({ type: 'text', nullable: true, default: '' }) api_base: string | null;
  @Column({ type: 'text', nullable: true, default: '' }) user: string | null;
  @Column({ type: 'jsonb', nullable: true, default: () => "'{}'" }) metadata: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true, default: '' }) cache_hit: string | null;
  @Column({ type: 'text', nullable: true, default: '' }) cache_key: string | null;
  @Column({ type: 'jsonb', nullable: true, default: () => "'[]'" }) request_tags: unknown[] | null;
  @Column({ type: 'text', nullable: true }) team_id: string | null;
  @Column({ type: 'text', nullable: true }) end_user: string | null;
  @Column({ type: 'text', nullable: true }) requester_ip_address: string | null;
  @Column({ type: 'text', nullable: true }) status: string | null;
}
