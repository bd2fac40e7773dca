import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One row per request, LiteLLM's shape. Written in batches by the spend writer, read by reports. */
@Entity({ name: 'LiteLLM_SpendLogs' })
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
  @Column({ type: 'text', default: '' }) model: string;
  @Column({ type: 'text', nullable: true }) model_id: string | null;
  @Column({ type: 'text', nullable: true }) model_group: string | null;
  @Column({ type: 'text', nullable: true }) api_base: string | null;
  @Column({ type: 'text', nullable: true }) user: string | null;
  @Column({ type: 'jsonb', nullable: true }) metadata: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true }) team_id: string | null;
  @Column({ type: 'text', nullable: true }) status: string | null;
}
