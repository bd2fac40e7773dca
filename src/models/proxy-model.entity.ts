import { Column, Entity, PrimaryColumn } from 'typeorm';

/** LiteLLM's table of models added live; string values of `litellm_params` are encrypted. */
@Entity({ name: 'LiteLLM_ProxyModelTable' })
export class ProxyModelEntity {
  /** PostgreSQL shows the migration's `gen_random_uuid()::text` as `(gen_random_uuid())::text`, and TypeORM drops the cast when comparing. */
  @PrimaryColumn({ type: 'text', default: () => '(gen_random_uuid())' }) model_id: string;
  @Column({ type: 'text' }) model_name: string;
  @Column({ type: 'jsonb' }) litellm_params: Record<string, unknown>;
  @Column({ type: 'jsonb', nullable: true }) model_info: Record<string, unknown> | null;
  @Column({ type: 'boolean', default: false }) blocked: boolean;
  @Column({ type: 'timestamptz', default: () => 'now()' }) created_at: Date;
  @Column({ type: 'text', default: '' }) created_by: string;
  @Column({ type: 'timestamptz', default: () => 'now()' }) updated_at: Date;
  @Column({ type: 'text', default: '' }) updated_by: string;
}
