import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Web UI sessions (not a LiteLLM table): HMAC-SHA256 of the cookie's id keyed by the master key, never the id itself. */
@Entity({ name: 'model_proxy_ui_sessions' })
@Index('IDX_ui_sessions_expires_at', ['expires_at'])
export class UiSessionEntity {
  @PrimaryColumn({ type: 'text' }) session_hash: string;
  @Column({ type: 'timestamptz' }) expires_at: Date;
  @Column({ type: 'timestamptz', default: () => 'now()' }) created_at: Date;
}
