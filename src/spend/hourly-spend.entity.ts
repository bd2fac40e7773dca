import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Spend per hour, key, team and model alias; kept by the spend writer beside the daily rollup, read by the usage page. */
@Entity({ name: 'model_proxy_hourly_spend' })
// The migration makes this index NULLS NOT DISTINCT (for the writer's upsert); TypeORM cannot say so.
@Index('UQ_hourly_spend', ['hour', 'api_key', 'team_id', 'model_group'], { unique: true })
@Index('IDX_hourly_spend_api_key_hour', ['api_key', 'hour'])
export class HourlySpendEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id: string;
  @Column({ type: 'timestamptz' }) hour: Date;
  @Column({ type: 'text' }) api_key: string;
  @Column({ type: 'text', nullable: true }) team_id: string | null;
  @Column({ type: 'text', nullable: true }) model_group: string | null;
  @Column({ type: 'bigint', default: 0 }) prompt_tokens: string;
  @Column({ type: 'bigint', default: 0 }) completion_tokens: string;
  @Column({ type: 'double precision', default: 0 }) spend: number;
  @Column({ type: 'bigint', default: 0 }) requests: string;
  @Column({ type: 'bigint', default: 0 }) failed_requests: string;
}
