import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** LiteLLM's audit table: who changed what, when, and the row before and after (secrets masked). */
@Entity({ name: 'LiteLLM_AuditLog' })
@Index('IDX_audit_log_updated_at', ['updated_at'])
@Index('IDX_audit_log_object', ['table_name', 'object_id'])
export class AuditLogEntity {
  @PrimaryColumn({ type: 'text', default: () => '(gen_random_uuid())' }) id: string;
  @Column({ type: 'timestamptz', default: () => 'now()' }) updated_at: Date;
  @Column({ type: 'text', default: '' }) changed_by: string;
  @Column({ type: 'text', default: '' }) changed_by_api_key: string;
  @Column({ type: 'text' }) action: string;
  @Column({ type: 'text' }) table_name: string;
  @Column({ type: 'text' }) object_id: string;
  @Column({ type: 'jsonb', nullable: true }) before_value: object | null;
  @Column({ type: 'jsonb', nullable: true }) updated_values: object | null;
}
