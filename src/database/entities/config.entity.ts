import { Column, Entity, PrimaryColumn } from 'typeorm';

/** LiteLLM's settings stored in the database, one JSON value per name. */
@Entity({ name: 'LiteLLM_Config' })
export class ConfigEntity {
  @PrimaryColumn({ type: 'text' }) param_name: string;
  @Column({ type: 'jsonb', nullable: true }) param_value: unknown;
}
