import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** LiteLLM's teams; keys name theirs in `team_id`. */
@Entity({ name: 'LiteLLM_TeamTable' })
@Index('IDX_team_alias', ['team_alias'])
export class TeamEntity {
  /** PostgreSQL shows the migration's `gen_random_uuid()::text` as `(gen_random_uuid())::text`, and TypeORM drops the cast when comparing. */
  @PrimaryColumn({ type: 'text', default: () => '(gen_random_uuid())' }) team_id: string;
  @Column({ type: 'text', nullable: true }) team_alias: string | null;
  @Column({ type: 'text', nullable: true }) organization_id: string | null;
  @Column({ type: 'text', array: true, default: '{}' }) admins: string[];
  @Column({ type: 'text', array: true, default: '{}' }) members: string[];
  @Column({ type: 'jsonb', default: () => "'{}'" }) members_with_roles: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'{}'" }) metadata: Record<string, unknown>;
  @Column({ type: 'double precision', nullable: true }) max_budget: number | null;
  @Column({ type: 'double precision', default: 0 }) spend: number;
  @Column({ type: 'text', array: true, default: '{}' }) models: string[];
  @Column({ type: 'integer', nullable: true }) max_parallel_requests: number | null;
  @Column({ type: 'bigint', nullable: true }) tpm_limit: string | null;
  @Column({ type: 'bigint', nullable: true }) rpm_limit: string | null;
  @Column({ type: 'text', nullable: true }) budget_duration: string | null;
  @Column({ type: 'timestamptz', nullable: true }) budget_reset_at: Date | null;
  @Column({ type: 'boolean', default: false }) blocked: boolean;
  @Column({ type: 'jsonb', default: () => "'{}'" }) model_spend: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'{}'" }) model_max_budget: Record<string, unknown>;
  @Column({ type: 'timestamptz', default: () => 'now()' }) created_at: Date;
  @Column({ type: 'timestamptz', default: () => 'now()' }) updated_at: Date;
}
