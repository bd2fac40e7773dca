import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { type EntityManager, type FindOperator, ILike, In, type Repository } from 'typeorm';
import type { AuditActor } from '../audit/actor.js';
import { type AuditAction, AuditService } from '../audit/audit.service.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { hashKey, maskKey } from '../common/secrets.js';
import { DbEventsService } from '../database/db-events.service.js';
import { type BudgetPeriodOwner, BudgetResetService, resetDueRows } from '../spend/budget-reset.service.js';
import { BudgetService } from '../spend/budget.service.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { TeamsService } from '../teams/teams.service.js';
import { type KeyRecord, readKeyRecords, toKeyRecord } from './key-record.js';
import type { DeleteKeysDto, ListKeysQueryDto } from './key-query.dto.js';
import type { DeleteKeysResponseDto, GenerateKeyResponseDto, KeyInfoResponseDto } from './key-response.dto.js';
import type { KeyViewDto, ListKeysResponseDto, UpdateKeyResponseDto } from './key-response.dto.js';
import { applySettings, assertKnownModels, knownModels, rethrowUniqueAlias } from './key-settings.js';
import { auditRow, type LiveSpend, toKeyInfo, tokenOf, toKeyView } from './key-view.js';
import { TokenLookup } from './token-lookup.js';
import type { GenerateKeyDto, UpdateKeyDto } from './key.dto.js';
import { VerificationTokenEntity } from './verification-token.entity.js';

export { tokenOf };

/** LiteLLM_VerificationToken: the only writer of key rows (spend excepted: the spend writer's statement adds it up). */
@Injectable()
export class KeysService implements BudgetPeriodOwner {
  private readonly logger = new Logger(KeysService.name);

  constructor(
    @InjectRepository(VerificationTokenEntity) private readonly repo: Repository<VerificationTokenEntity>,
    private readonly events: DbEventsService,
    private readonly budgets: BudgetService,
    private readonly registry: ModelRegistry,
    private readonly teams: TeamsService,
    private readonly audit: AuditService,
    budgetReset: BudgetResetService,
  ) {
    budgetReset.register(this);
  }

  private readonly lookup = new TokenLookup<KeyRecord>((tokens) => readKeyRecords(this.repo, tokens));

  /** A raw read for the auth cache (no ORM on the hot path), batched with concurrent misses. */
  findByToken(token: string): Promise<KeyRecord | undefined> {
    return this.lookup.find(token);
  }

  private knownModels(): string[] {
    return knownModels(this.registry);
  }

  /** Live: written spend plus what is booked but not yet written, and what requests in flight reserve. */
  private live(e: VerificationTokenEntity): LiveSpend {
    const record = toKeyRecord({ ...e, rpm_limit: e.rpm_limit, tpm_limit: e.tpm_limit });
    return { spend: this.budgets.currentSpend(record), reserved: this.budgets.reservedOf(record) };
  }

  view(e: VerificationTokenEntity): KeyViewDto {
    return toKeyView(e, this.live(e));
  }

  private async assertAliasFree(m: EntityManager, alias: string | null | undefined, exceptToken?: string): Promise<void> {
    if (!alias) return;
    const other = await m.findOne(VerificationTokenEntity, { where: { key_alias: alias }, select: { token: true } });
    if (other && other.token !== exceptToken) {
      throw ApiError.badRequest(`Unique key aliases across all keys are required. key_alias=${alias} already exists.`, 'key_alias');
    }
  }

  /** In the change's transaction: a key change and its audit entry commit together. */
  private record(m: EntityManager, actor: AuditActor, action: AuditAction, token: string, before: Row | null, after: Row | null): Promise<void> {
    return this.audit.record({ action, table: 'LiteLLM_VerificationToken', objectId: token, before: auditRow(before), after: auditRow(after), actor }, m);
  }

  private async changed(...tokens: string[]): Promise<void> {
    await this.events.changed('proxy_key_change', ...tokens);
  }

  /** Mints a key; the plain key appears only in this answer. */
  async generate(dto: GenerateKeyDto, actor: AuditActor): Promise<GenerateKeyResponseDto> {
    assertKnownModels(dto.models, this.knownModels());
    await this.teams.assertKeyModels(dto.team_id, dto.models);
    const key = dto.key ?? `sk-${randomBytes(16).toString('base64url')}`;
    const token = hashKey(key);
    const now = new Date();
    const saved = await this.repo.manager
      .transaction(async (m) => {
        await this.assertAliasFree(m, dto.key_alias);
        if (await m.exists(VerificationTokenEntity, { where: { token } }))
          throw ApiError.badRequest('This key already exists; choose another or omit `key`.', 'key');
        const e = m.create(VerificationTokenEntity, {
          token,
          key_name: maskKey(key),
          models: [],
          metadata: {},
          spend: 0,
          created_at: now,
          updated_at: now,
          created_by: 'admin',
          updated_by: 'admin',
        });
        applySettings(e, dto, now);
        const saved = await m.save(e);
        await this.record(m, actor, 'created', token, null, saved);
        return saved;
      })
      .catch(rethrowUniqueAlias);
    await this.changed(token);
    return { key, token_id: token, duration: dto.duration ?? null, ...this.view(saved) };
  }

  private async load(m: EntityManager, key: string, lock = false): Promise<VerificationTokenEntity> {
    const e = await m.findOne(VerificationTokenEntity, { where: { token: tokenOf(key) }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!e) throw ApiError.notFound(`Key not found: ${key.startsWith('sk-') ? maskKey(key) : key}`, 'key');
    return e;
  }

  /** Answers with `key` as passed plus the row, as LiteLLM does. */
  async update(dto: UpdateKeyDto, actor: AuditActor): Promise<UpdateKeyResponseDto> {
    assertKnownModels(dto.models, this.knownModels());
    const now = new Date();
    const saved = await this.repo.manager
      .transaction(async (m) => {
        const e = await this.load(m, dto.key);
        if (dto.models !== undefined || dto.team_id !== undefined)
          await this.teams.assertKeyModels(dto.team_id === undefined ? e.team_id : dto.team_id, dto.models ?? e.models);
        const before = structuredClone(e);
        if (dto.key_alias !== undefined) await this.assertAliasFree(m, dto.key_alias, e.token);
        applySettings(e, dto, now);
        e.updated_at = now;
        const saved = await m.save(e);
        await this.record(m, actor, 'updated', e.token, before, saved);
        return saved;
      })
      .catch(rethrowUniqueAlias);
    await this.changed(saved.token);
    return { key: dto.key, ...this.view(saved) };
  }

  /**
   * Deletes the named keys that exist, as LiteLLM does (its answer lists every key passed; this one lists
   * what was deleted, and the rest in `not_found_keys`). Nothing found at all is a 404.
   */
  async delete(dto: DeleteKeysDto, actor: AuditActor): Promise<DeleteKeysResponseDto> {
    const keys = dto.keys ?? [];
    const aliases = dto.key_aliases ?? [];
    if (keys.length === 0 && aliases.length === 0) throw ApiError.badRequest('Pass `keys` and/or `key_aliases` to delete.', 'keys');
    const { deleted, found, missing } = await this.repo.manager.transaction(async (m) => {
      const tokens = keys.map(tokenOf);
      // Whole rows: the audit trail keeps what was deleted.
      const byToken = tokens.length ? await m.find(VerificationTokenEntity, { where: { token: In(tokens) } }) : [];
      const byAlias = aliases.length ? await m.find(VerificationTokenEntity, { where: { key_alias: In(aliases) } }) : [];
      const found = [...keys.filter((_, i) => byToken.some((e) => e.token === tokens[i])), ...aliases.filter((a) => byAlias.some((e) => e.key_alias === a))];
      const missing = [...keys, ...aliases].filter((k) => !found.includes(k));
      const all = [...new Set([...byToken, ...byAlias].map((e) => e.token))];
      if (all.length === 0) {
        const names = [...keys.map((k) => (k.startsWith('sk-') ? maskKey(k) : k)), ...aliases.map((a) => `alias ${a}`)];
        throw ApiError.notFound(`No keys found, nothing deleted: ${names.join(', ')}`, 'keys');
      }
      await m.delete(VerificationTokenEntity, { token: In(all) });
      const rows = new Map([...byToken, ...byAlias].map((e) => [e.token, e]));
      for (const [token, row] of rows) await this.record(m, actor, 'deleted', token, row, null);
      return { deleted: all, found, missing };
    });
    await this.changed(...deleted);
    return missing.length ? { deleted_keys: found, not_found_keys: missing } : { deleted_keys: found };
  }

  /** A new secret with the same settings; the old key stops working at once. */
  async regenerate(oldKey: string, newKey: string | null | undefined, actor: AuditActor): Promise<GenerateKeyResponseDto> {
    const key = newKey ?? `sk-${randomBytes(16).toString('base64url')}`;
    const token = hashKey(key);
    const now = new Date();
    const { saved, oldToken } = await this.repo.manager.transaction(async (m) => {
      // Locked: a spend write waits, so the copy below carries the latest spend.
      const e = await this.load(m, oldKey, true);
      const before = structuredClone(e);
      if (await m.exists(VerificationTokenEntity, { where: { token } })) throw ApiError.badRequest('new_key already exists', 'new_key');
      const oldToken = e.token;
      // The primary key changes: insert the new row, then remove the old.
      const copy = m.create(VerificationTokenEntity, { ...e, token, key_name: maskKey(key), updated_at: now });
      const alias = e.key_alias;
      if (alias) await m.update(VerificationTokenEntity, { token: oldToken }, { key_alias: null });
      const saved = await m.save(copy);
      await m.delete(VerificationTokenEntity, { token: oldToken });
      await this.record(m, actor, 'rotated', token, before, saved);
      return { saved, oldToken };
    });
    // Spend booked under the old hash (queued, or from requests still running) follows the key.
    await this.events.publish('proxy_key_change', { op: 'rename', from: oldToken, to: token });
    await this.changed(oldToken, token);
    return { key, token_id: token, duration: null, ...this.view(saved) };
  }

  /** The keys of these teams or users (LiteLLM deletes them with their team or user). */
  async deleteOwnedBy(column: 'team_id' | 'user_id', ids: string[], actor: AuditActor): Promise<void> {
    if (ids.length === 0) return;
    const rows = await this.repo.manager.transaction(async (m) => {
      const owned = await m.find(VerificationTokenEntity, { where: { [column]: In(ids) } });
      await m.delete(VerificationTokenEntity, { token: In(owned.map((r) => r.token)) });
      for (const row of owned) await this.record(m, actor, 'deleted', row.token, row, null);
      return owned;
    });
    await this.changed(...rows.map((r) => r.token));
  }

  /** The keys whose budget period ended: spend back to 0, next reset set (BudgetResetService calls it every 30 s). */
  async resetDueBudgets(now: Date): Promise<string[]> {
    const reset = await this.repo.manager.transaction((m) => resetDueRows(m, 'LiteLLM_VerificationToken', 'token', now));
    await this.changed(...reset);
    if (reset.length) this.logger.log(`budget period ended: spend reset for ${reset.length} key(s)`);
    return reset;
  }

  /** Every key of a team or a user, as /team/info and /user/info list them. */
  async ownedBy(column: 'team_id' | 'user_id', id: string): Promise<KeyViewDto[]> {
    const rows = await this.repo.manager.find(VerificationTokenEntity, { where: { [column]: id }, order: { created_at: 'ASC', token: 'ASC' } });
    return rows.map((r) => this.view(r));
  }

  async setBlocked(key: string, blocked: boolean, actor: AuditActor): Promise<KeyViewDto> {
    const saved = await this.repo.manager.transaction(async (m) => {
      const e = await this.load(m, key);
      const before = structuredClone(e);
      e.blocked = blocked;
      e.updated_at = new Date();
      const saved = await m.save(e);
      await this.record(m, actor, blocked ? 'blocked' : 'unblocked', e.token, before, saved);
      return saved;
    });
    await this.changed(saved.token);
    return this.view(saved);
  }

  /**
   * LiteLLM's /key/info: `key` is what was asked for (the caller's own hash when omitted), `info` the row
   * without `token`. A virtual key may read only itself; the master key must name a key.
   */
  async info(principal: Principal, key?: string): Promise<KeyInfoResponseDto> {
    if (principal.kind === 'virtual') {
      if (key && tokenOf(key) !== principal.key.token) throw ApiError.forbidden('A virtual key may only read its own /key/info.');
      key ??= principal.key.token;
    }
    if (!key) throw ApiError.badRequest('Pass ?key=<key or hash>', 'key');
    const e = await this.load(this.repo.manager, key);
    return { key, info: toKeyInfo(e, this.live(e)) };
  }

  async list(q: ListKeysQueryDto): Promise<ListKeysResponseDto> {
    const page = q.page ?? 1;
    const size = q.size ?? 10;
    const where: Partial<Record<'key_alias' | 'user_id' | 'team_id' | 'organization_id' | 'token', string | FindOperator<string>>> = {};
    if (q.key_alias) where.key_alias = q.key_alias;
    else if (q.key_alias_search) where.key_alias = ILike(`%${q.key_alias_search.replace(/[\\%_]/g, '\\$&')}%`);
    if (q.user_id) where.user_id = q.user_id;
    if (q.team_id) where.team_id = q.team_id;
    if (q.organization_id) where.organization_id = q.organization_id;
    if (q.key_hash) where.token = tokenOf(q.key_hash);
    const [rows, total] = await this.repo.manager.findAndCount(VerificationTokenEntity, {
      where,
      order: { created_at: 'DESC', token: 'ASC' },
      skip: (page - 1) * size,
      take: size,
    });
    const full = q.return_full_object === 'true';
    return {
      keys: rows.map((r) => (full ? this.view(r) : r.token)),
      total_count: total,
      current_page: page,
      total_pages: Math.ceil(total / size),
    };
  }
}

type Row = VerificationTokenEntity;
