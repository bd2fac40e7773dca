import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * LiteLLM's key table: `token` is the SHA-256 hex of the key; the plain key is never stored.
 * Every column and index of the migration is mapped, so `migration:generate` sees no difference.
 */
@Entity({ name: 'LiteLLM_VerificationToken' })
@Index('UQ_verification_token_key_alias', ['key_alias'], { unique: true, where: '"key_alias" IS NOT NULL' })
@Index('IDX_verification_token_user_team', ['user_id', 'team_id'])
@Index('IDX_verification_token_team', ['team_id'])
@Index('IDX_verification_token_budget_reset', ['budget_reset_at', 'expires'])
export class VerificationTokenEntity {
  @PrimaryColumn({ type: 'text' }) token: string;
  @Column({ type: 'text', nullable: true }) key_name: string | null;
  @Column({ type: 'text', nullable: true }) key_alias: string | null;
  @Column({ type: 'boolean', default: false }) soft_budget_cooldown: boolean;
  @Column({ type: 'double precision', default: 0 }) spend: number;
  @Column({ type: 'timestamptz', nullable: true }) expires: Date | null;
  @Column({ type: 'text', array: true, default: '{}' }) models: string[];
  @Column({ type: 'jsonb', default: () => "'{}'" }) aliases: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'{}'" }) config: Record<string, unknown>;
  @Column({ type: 'text', nullable: true }) user_id: string | null;
  @Column({ type: 'text', nullable: true }) team_id: string | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) permissions: Record<string, unknown>;
  @Column({ type: 'integer', nullable: true }) max_parallel_requests: number | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) metadata: Record<string, unknown>;
  @Column({ type: 'boolean', nullable: true }) blocked: boolean | null;
  @Column({ type: 'bigint', nullable: true }) tpm_limit: string | null;
  @Column({ type: 'bigint', nullable: true }) rpm_limit: string | null;
  @Column({ type: 'double precision', nullable: true }) max_budget: number | null;
  @Column({ type: 'text', nullable: true }) budget_duration: string | null;
  @Column({ type: 'timestamptz', nullable: true }) budget_reset_at: Date | null;
  @Column({ type: 'text', array: true, default: '{}' }) allowed_cache_controls: string[];
  @Column({ type: 'jsonb', default: () => "'{}'" }) model_spend: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'{}'" }) model_max_budget: Record<string, unknown>;
  @Column({ type: 'text', nullable: true }) budget_id: string | null;
  @Column({ type: 'text', nullable: true }) organization_id: string | null;
  @Column({ type: 'timestamptz', nullable: true, default: () => 'now()' }) created_at: Date | null;
  @Column({ type: 'text', nullable: true }) created_by: string | null;
  @Column({ type: 'timestamptz', nullable: true, default: () => 'now()' }) updated_at: Date | null;
  @Column({ type: 'text', nullable: true }) updated_by: string | null;
  @Column({ type: 'timestamptz', nullable: true }) last_active: Date | null;
  @Column({ type: 'integer', nullable: true, default: 0 }) rotation_count: number | null;
}
