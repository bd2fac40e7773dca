import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** LiteLLM's daily rollup of spend per key and model; kept by the spend writer, read by reports. */
@Entity({ name: 'LiteLLM_DailyUserSpend' })
// The writer's upsert key, an expression index (migrations/1795600000001-AddPortableDailySpendKey.ts) TypeORM cannot describe.
@Index('model_proxy_daily_user_spend_key', { synchronize: false })
@Index('IDX_daily_user_spend_date', ['date'])
@Index('IDX_daily_user_spend_api_key', ['api_key'])
export class DailySpendEntity {
  /** PostgreSQL shows the migration's `gen_random_uuid()::text` as `(gen_random_uuid())::text`, and TypeORM drops the cast when comparing. */
  @PrimaryColumn({ type: 'text', default: () => '(gen_random_uuid())' }) id: string;
  @Column({ type: 'text', nullable: true }) user_id: string | null;
  @Column({ type: 'text' }) date: string;
  @Column({ type: 'text' }) api_key: string;
  @Column({ type: 'text', nullable: true }) model: string | null;
  @Column({ type: 'text', nullable: true }) model_group: string | null;
  @Column({ type: 'text', nullable: true }) custom_llm_provider: string | null;
  @Column({ type: 'text', nullable: true }) mcp_namespaced_tool_name: string | null;
  @Column({ type: 'text', nullable: true }) endpoint: string | null;
  @Column({ type: 'bigint', default: 0 }) prompt_tokens: string;
  @Column({ type: 'bigint', default: 0 }) completion_tokens: string;
  @Column({ type: 'bigint', default: 0 }) cache_read_input_tokens: string;
  @Column({ type: 'bigint', default: 0 }) cache_creation_input_tokens: string;
  @Column({ type: 'double precision', default: 0 }) spend: number;
  @Column({ type: 'bigint', default: 0 }) api_requests: string;
  @Column({ type: 'bigint', default: 0 }) successful_requests: string;
  @Column({ type: 'bigint', default: 0 }) failed_requests: string;
  @Column({ type: 'timestamptz', default: () => 'now()' }) created_at: Date;
  @Column({ type: 'timestamptz', default: () => 'now()' }) updated_at: Date;
}
