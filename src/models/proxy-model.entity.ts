import { Column, Entity, PrimaryColumn } from 'typeorm';

/** LiteLLM's table of models added live; string values of `litellm_params` are encrypted. */
@Entity({ name: 'LiteLLM_ProxyModelTable' })
export class ProxyModelEntity {
  @PrimaryColumn({ type: 'text' }) model_id: string;
  @Column({ type: 'text' }) model_name: string;
  @Column({ type: 'jsonb' }) litellm_params: Record<string, unknown>;
  @Column({ type: 'jsonb', nullable: true }) model_info: Record<string, unknown> | null;
  @Column({ type: 'timestamptz' }) created_at: Date;
  @Column({ type: 'text' }) created_by: string;
  @Column({ type: 'timestamptz' }) updated_at: Date;
  @Column({ type: 'text' }) updated_by: string;
}
