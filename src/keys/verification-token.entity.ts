import { Column, Entity, PrimaryColumn } from 'typeorm';

/** LiteLLM's key table: `token` is the SHA-256 hex of the key; the plain key is never stored. */
@Entity({ name: 'LiteLLM_VerificationToken' })
export class VerificationTokenEntity {
  @PrimaryColumn({ type: 'text' }) token: string;
  @Column({ type: 'text', nullable: true }) key_name: string | null;
  @Column({ type: 'text', nullable: true }) key_alias: string | null;
  @Column({ type: 'double precision', default: 0 }) spend: number;
  @Column({ type: 'timestamptz', nullable: true }) expires: Date | null;
  @Column({ type: 'text', array: true, default: '{}' }) models: string[];
  @Column({ type: 'text', nullable: true }) user_id: string | null;
  @Column({ type: 'text', nullable: true }) team_id: string | null;
  @Column({ type: 'integer', nullable: true }) max_parallel_requests: number | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) metadata: Record<string, unknown>;
  @Column({ type: 'boolean', nullable: true }) blocked: boolean | null;
  @Column({ type: 'bigint', nullable: true }) tpm_limit: string | null;
  @Column({ type: 'bigint', nullable: true }) rpm_limit: string | null;
  @Column({ type: 'double precision', nullable: true }) max_budget: number | null;
  @Column({ type: 'text', nullable: true }) budget_duration: string | null;
  @Column({ type: 'timestamptz', nullable: true }) budget_reset_at: Date | null;
  @Column({ type: 'timestamptz', nullable: true }) created_at: Date | null;
  @Column({ type: 'text', nullable: true }) created_by: string | null;
  @Column({ type: 'timestamptz', nullable: true }) updated_at: Date | null;
  @Column({ type: 'text', nullable: true }) updated_by: string | null;
}
