import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { ApiError, ErrorType } from '../common/api-error.js';
import { hashKey } from '../common/secrets.js';
import type { AuditActor } from './actor.js';
import type { AuditListResponseDto, AuditLogEntryDto, AuditQueryDto } from './audit.dto.js';
import { AuditLogEntity } from './audit-log.entity.js';
import { auditValue } from './audit-value.js';

/** LiteLLM's actions (`AUDIT_ACTIONS`), plus `unblocked` and `reloaded` (a config file re-read), which it has not. */
export type AuditAction = 'created' | 'updated' | 'deleted' | 'rotated' | 'blocked' | 'unblocked' | 'reloaded';

/** One admin change. `table` is the LiteLLM table changed (`LiteLLM_VerificationToken`, …) or `config_file`. */
export interface AuditChange {
  action: AuditAction;
  table: string;
  objectId: string;
  /** The object before and after; masked here (secrets, hashes), so callers pass rows as they are. */
  before?: unknown;
  after?: unknown;
  actor: AuditActor;
}

const RETRY_MS = 5_000;
/** Entries waiting for a database that refused them; beyond this the oldest go, each with an error line. */
const MAX_PENDING = 10_000;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The audit trail in `LiteLLM_AuditLog`. A change to a table is recorded in the transaction that makes
 * it (`record(change, manager)`): the change and its entry commit together or not at all, so no change
 * goes unrecorded, and an entry that cannot be written fails the admin call with nothing changed.
 * A change outside the database (a config file reload) is recorded after it: a failed insert is
 * logged and retried every few seconds (and once more at shutdown), never dropped silently.
 */
@Injectable()
export class AuditService implements OnModuleDestroy {
  private readonly logger = new Logger(AuditService.name);
  private pending: Array<Partial<AuditLogEntity>> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(@InjectRepository(AuditLogEntity) private readonly repo: Repository<AuditLogEntity>) {}

  /** With `manager`, inside its transaction (throws: the caller's transaction rolls back); without, on its own, retried on failure. */
  async record(change: AuditChange, manager?: EntityManager): Promise<void> {
    const row = toRow(change);
    if (manager) {
      try {
        await manager.insert(AuditLogEntity, row);
      } catch (err) {
        this.logger.error(`audit entry refused, the change is rolled back: ${(err as Error).message} (${row.action} ${row.table_name} ${row.object_id})`);
        throw new ApiError(
          500,
          ErrorType.Internal,
          'The change was not made: the audit trail could not record it (see the proxy log). Retry once the database accepts writes.',
        );
      }
      return;
    }
    try {
      await this.repo.insert(row);
    } catch (err) {
      this.keep(row, err as Error);
    }
  }

  private keep(row: Partial<AuditLogEntity>, err: Error): void {
    this.logger.error(`audit entry not written yet, retrying every ${RETRY_MS / 1000}s: ${err.message} (${row.action} ${row.table_name} ${row.object_id})`);
    if (this.pending.length >= MAX_PENDING) {
      const lost = this.pending.shift()!;
      this.logger.error(`audit entry dropped (more than ${MAX_PENDING} waiting): ${JSON.stringify(lost)}`);
    }
    this.pending.push(row);
    this.timer ??= setInterval(() => void this.retry(), RETRY_MS).unref();
  }

  private async retry(): Promise<void> {
    while (this.pending.length > 0) {
      try {
        await this.repo.insert(this.pending[0]);
      } catch {
        return;
      }
      this.pending.shift();
    }
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async onModuleDestroy(): Promise<void> {
    await this.retry();
    clearInterval(this.timer);
    for (const row of this.pending) this.logger.error(`audit entry lost at shutdown (database unreachable): ${JSON.stringify(row)}`);
  }

  /** Newest first; `object_id` may be a plain key (it is hashed). */
  async list(q: AuditQueryDto): Promise<AuditListResponseDto> {
    const page = q.page ?? 1;
    const size = q.page_size ?? 50;
    const qb = this.repo.createQueryBuilder('a');
    if (q.table_name) qb.andWhere('a.table_name = :table', { table: q.table_name });
    if (q.object_id) qb.andWhere('a.object_id IN (:...ids)', { ids: q.object_id.startsWith('sk-') ? [q.object_id, hashKey(q.object_id)] : [q.object_id] });
    if (q.action) qb.andWhere('a.action = :action', { action: q.action });
    if (q.changed_by) qb.andWhere('a.changed_by = :by', { by: q.changed_by });
    if (q.start_date) qb.andWhere('a.updated_at >= :start', { start: new Date(q.start_date) });
    if (q.end_date) {
      const end = new Date(q.end_date);
      if (BARE_DATE.test(q.end_date)) end.setUTCDate(end.getUTCDate() + 1);
      qb.andWhere(BARE_DATE.test(q.end_date) ? 'a.updated_at < :end' : 'a.updated_at <= :end', { end });
    }
    const [rows, total] = await qb
      .orderBy('a.updated_at', 'DESC')
      .addOrderBy('a.id', 'DESC')
      .skip((page - 1) * size)
      .take(size)
      .getManyAndCount();
    return { audit_logs: rows.map(toDto), total, page, page_size: size, total_pages: Math.ceil(total / size) };
  }
}

/** `id` given here: on a database LiteLLM created the column has no default (Prisma fills it). */
function toRow(c: AuditChange): Partial<AuditLogEntity> {
  return {
    id: randomUUID(),
    updated_at: new Date(),
    changed_by: c.actor.changedBy,
    changed_by_api_key: c.actor.apiKey,
    action: c.action,
    table_name: c.table,
    object_id: c.objectId,
    before_value: auditValue(c.before),
    updated_values: auditValue(c.after),
  };
}

function toDto(r: AuditLogEntity): AuditLogEntryDto {
  return {
    id: r.id,
    updated_at: r.updated_at.toISOString(),
    changed_by: r.changed_by,
    changed_by_api_key: r.changed_by_api_key,
    action: r.action,
    table_name: r.table_name,
    object_id: r.object_id,
    before_value: (r.before_value ?? null) as Record<string, unknown> | null,
    updated_values: (r.updated_values ?? null) as Record<string, unknown> | null,
  };
}
