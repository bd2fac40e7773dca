import { Column, Entity, PrimaryColumn } from 'typeorm';

/** LiteLLM's shared budgets, which keys, users and teams can point at by `budget_id`. */
@Entity({ name: 'LiteLLM_BudgetTable' })
export class BudgetEntity {
  /** PostgreSQL shows the migration's `gen_random_uuid()::text` as `(gen_random_uuid())::text`, and TypeORM drops the cast when comparing. */
  @PrimaryColumn({ type: 'text', default: () => '(gen_random_uuid())' }) budget_id: string;
  @Column({ type: 'double precision', nullable: true }) max_budget: number | null;
  @Column({ type: 'double precision', nullable: true }) soft_budget: number | null;
  @Column({ type: 'integer', nullable: true }) max_parallel_requests: number | null;
  @Column({ type: 'bigint', nullable: true }) tpm_limit: string | null;
  @Column({ type: 'bigint', nullable: true }) rpm_limit: string | null;
  @Column({ type: 'jsonb', nullable: true }) model_max_budget: Record<string, unknown> | null;
  @Column({ type: 'text', nullable: true }) budget_duration: string | null;
  @Column({ type: 'timestamptz', nullable: true }) budget_reset_at: Date | null;
  @Column({ type: 'timestamptz', default: () => 'now()' }) created_at: Date;
  @Column({ type: 'text', default: '' }) created_by: string;
  @Column({ type: 'timestamptz', default: () => 'now()' }) updated_at: Date;
  @Column({ type: 'text', default: '' }) updated_by: string;
}
