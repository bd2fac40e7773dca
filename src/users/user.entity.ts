import { Column, Entity, PrimaryColumn } from 'typeorm';

/** LiteLLM's internal users; keys name theirs in `user_id`. */
@Entity({ name: 'LiteLLM_UserTable' })
export class UserEntity {
  @PrimaryColumn({ type: 'text' }) user_id: string;
  @Column({ type: 'text', nullable: true }) user_alias: string | null;
  @Column({ type: 'text', nullable: true }) team_id: string | null;
  @Column({ type: 'text', nullable: true }) organization_id: string | null;
  @Column({ type: 'text', nullable: true }) password: string | null;
  @Column({ type: 'text', array: true, default: '{}' }) teams: string[];
  @Column({ type: 'text', nullable: true }) user_role: string | null;
  @Column({ type: 'double precision', nullable: true }) max_budget: number | null;
  @Column({ type: 'double precision', default: 0 }) spend: number;
  @Column({ type: 'text', nullable: true }) user_email: string | null;
  @Column({ type: 'text', array: true, default: '{}' }) models: string[];
  @Column({ type: 'jsonb', default: () => "'{}'" }) metadata: Record<string, unknown>;
  @Column({ type: 'integer', nullable: true }) max_parallel_requests: number | null;
  @Column({ type: 'bigint', nullable: true }) tpm_limit: string | null;
  @Column({ type: 'bigint', nullable: true }) rpm_limit: string | null;
  @Column({ type: 'text', nullable: true }) budget_duration: string | null;
  @Column({ type: 'timestamptz', nullable: true }) budget_reset_at: Date | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) model_spend: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'{}'" }) model_max_budget: Record<string, unknown>;
  @Column({ type: 'timestamptz', nullable: true, default: () => 'now()' }) created_at: Date | null;
  @Column({ type: 'timestamptz', nullable: true, default: () => 'now()' }) updated_at: Date | null;
}
