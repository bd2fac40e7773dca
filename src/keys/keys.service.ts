import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager, In } from 'typeorm';
import { ApiError } from '../common/api-error.js';
import { addDuration } from '../common/duration.js';
import { hashKey, maskKey } from '../common/secrets.js';
import { DbEventsService } from '../database/db-events.service.js';
import { BudgetService } from '../spend/budget.service.js';
import { RENAME } from '../spend/spend-writer.service.js';
import { type KeyRecord, type KeyRow, toKeyRecord } from './key-record.js';
import { TokenLookup } from './token-lookup.js';
import type { DeleteKeysDto, GenerateKeyDto, KeySettingsDto, ListKeysQueryDto, UpdateKeyDto } from './key.dto.js';
import { VerificationTokenEntity } from './verification-token.entity.js';

const KEY_COLUMNS = `token, key_name, key_alias, models, spend, max_budget, expires, blocked, rpm_limit, tpm_limit, max_parallel_requests, user_id, team_id`;
/** The auth cache's read: the key with its user's and team's budgets, in one round trip. */
const KEYS_WITH_BUDGETS = `SELECT ${KEY_COLUMNS.split(', ').map((c) => `k.${c}`).join(', ')},
    u.max_budget AS user_max_budget, u.spend AS user_spend, t.max_budget AS team_max_budget, t.spend AS team_spend
  FROM "LiteLLM_VerificationToken" k
  LEFT JOIN "LiteLLM_UserTable" u ON u.user_id = k.user_id
  LEFT JOIN "LiteLLM_TeamTable" t ON t.team_id = k.team_id
  WHERE k.token = ANY($1::text[])`;
const HASH = /^[0-9a-f]{64}$/;

/** A key as the admin API shows it (never the plain key, except once from /key/generate). */
export interface KeyView {
  token: string;
  key_name: string | null;
  key_alias: string | null;
  spend: number;
  reserved_spend: number;
  max_budget: number | null;
  expires: string | null;
  models: string[];
  user_id: string | null;
  team_id: string | null;
  max_parallel_requests: number | null;
  tpm_limit: number | null;
  rpm_limit: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  blocked: boolean | null;
  metadata: Record<string, unknown>;
  created_at: string | null;
  updated_at: string | null;
}

/** Accepts a plain key or its SHA-256 hash, as LiteLLM does. */
export function tokenOf(key: string): string {
  return HASH.test(key) ? key : hashKey(key);
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

const num = (v: string | number | null): number | null => (v === null || v === undefined ? null : Number(v));

@Injectable()
export class KeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: DbEventsService,
    private readonly budgets: BudgetService,
  ) {}

  private readonly lookup = new TokenLookup<KeyRecord>(async (tokens) => {
    const rows: KeyRow[] = await this.dataSource.query(KEYS_WITH_BUDGETS, [tokens]);
    return new Map(rows.map((r) => [r.token, toKeyRecord(r)]));
  });

  /** A raw read for the auth cache (no ORM on the hot path), with the key's user and team budgets; batched with concurrent misses. */
  findByToken(token: string): Promise<KeyRecord | undefined> {
    return this.lookup.find(token);
  }

  view(e: VerificationTokenEntity): KeyView {
    const record = toKeyRecord({ ...e, rpm_limit: e.rpm_limit, tpm_limit: e.tpm_limit });
    return {
      token: e.token,
      key_name: e.key_name,
      key_alias: e.key_alias,
      // Live: written spend plus what is booked but not yet written.
      spend: this.budgets.currentSpend(record),
      // Worst-case cost held by this key's requests in flight on this instance (not part of `spend`).
      reserved_spend: this.budgets.reservedOf(record),
      max_budget: e.max_budget,
      expires: iso(e.expires),
      models: e.models ?? [],
      user_id: e.user_id,
      team_id: e.team_id,
      max_parallel_requests: e.max_parallel_requests,
      tpm_limit: num(e.tpm_limit),
      rpm_limit: num(e.rpm_limit),
      budget_duration: e.budget_duration,
      budget_reset_at: iso(e.budget_reset_at),
      blocked: e.blocked,
      metadata: e.metadata ?? {},
      created_at: iso(e.created_at),
      updated_at: iso(e.updated_at),
    };
  }

  private async assertAliasFree(m: EntityManager, alias: string | null | undefined, exceptToken?: string): Promise<void> {
    if (!alias) return;
    const other = await m.findOne(VerificationTokenEntity, { where: { key_alias: alias }, select: { token: true } });
    if (other && other.token !== exceptToken) {
      throw ApiError.badRequest(`Unique key aliases across all keys are required. key_alias=${alias} already exists.`, 'key_alias');
    }
  }

  private applySettings(e: VerificationTokenEntity, dto: KeySettingsDto, now: Date): void {
    if (dto.models !== undefined) e.models = dto.models;
    if (dto.key_alias !== undefined) e.key_alias = dto.key_alias;
    if (dto.duration !== undefined) e.expires = dto.duration === null ? null : addDuration(now, dto.duration);
    if (dto.max_budget !== undefined) e.max_budget = dto.max_budget;
    if (dto.budget_duration !== undefined) {
      e.budget_duration = dto.budget_duration;
      e.budget_reset_at = dto.budget_duration === null ? null : addDuration(now, dto.budget_duration);
    }
    if (dto.rpm_limit !== undefined) e.rpm_limit = dto.rpm_limit === null ? null : String(dto.rpm_limit);
    if (dto.tpm_limit !== undefined) e.tpm_limit = dto.tpm_limit === null ? null : String(dto.tpm_limit);
    if (dto.max_parallel_requests !== undefined) e.max_parallel_requests = dto.max_parallel_requests;
    if (dto.metadata !== undefined) e.metadata = dto.metadata;
    if (dto.user_id !== undefined) e.user_id = dto.user_id;
    if (dto.team_id !== undefined) e.team_id = dto.team_id;
  }

  private async changed(...tokens: string[]): Promise<void> {
    for (const t of tokens) await this.events.publish('proxy_key_change', t);
  }

  /** Mints a key; the plain key appears only in this answer. */
  async generate(dto: GenerateKeyDto): Promise<KeyView & { key: string; token_id: string; duration: string | null }> {
    const key = dto.key ?? `sk-${randomBytes(16).toString('base64url')}`;
    const token = hashKey(key);
    const now = new Date();
    const saved = await this.dataSource.transaction(async (m) => {
      await this.assertAliasFree(m, dto.key_alias);
      if (await m.exists(VerificationTokenEntity, { where: { token } })) throw ApiError.badRequest('This key already exists; choose another or omit `key`.', 'key');
      const e = m.create(VerificationTokenEntity, { token, key_name: maskKey(key), models: [], metadata: {}, spend: 0, created_at: now, updated_at: now, created_by: 'admin', updated_by: 'admin' });
      this.applySettings(e, dto, now);
      return m.save(e);
    }).catch(rethrowUniqueAlias);
    await this.changed(token);
    return { key, token_id: token, duration: dto.duration ?? null, ...this.view(saved) };
  }

  private async load(m: EntityManager, key: string, lock = false): Promise<VerificationTokenEntity> {
    const e = await m.findOne(VerificationTokenEntity, { where: { token: tokenOf(key) }, ...(lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!e) throw ApiError.notFound(`Key not found: ${key.startsWith('sk-') ? maskKey(key) : key}`, 'key');
    return e;
  }

  async update(dto: UpdateKeyDto): Promise<KeyView> {
    const now = new Date();
    const saved = await this.dataSource.transaction(async (m) => {
      const e = await this.load(m, dto.key);
      if (dto.key_alias !== undefined) await this.assertAliasFree(m, dto.key_alias, e.token);
      this.applySettings(e, dto, now);
      if (dto.spend !== undefined) e.spend = dto.spend;
      if (dto.blocked !== undefined) e.blocked = dto.blocked;
      e.updated_at = now;
      return m.save(e);
    }).catch(rethrowUniqueAlias);
    await this.changed(saved.token);
    return this.view(saved);
  }

  /** Deletes every named key, or none: a missing one is a 404 naming it. */
  async delete(dto: DeleteKeysDto): Promise<{ deleted_keys: string[] }> {
    const keys = dto.keys ?? [];
    const aliases = dto.key_aliases ?? [];
    if (keys.length === 0 && aliases.length === 0) throw ApiError.badRequest('Pass `keys` and/or `key_aliases` to delete.');
    const deleted = await this.dataSource.transaction(async (m) => {
      const tokens = keys.map(tokenOf);
      const byToken = tokens.length ? await m.find(VerificationTokenEntity, { where: { token: In(tokens) }, select: { token: true } }) : [];
      const missing = keys.filter((k, i) => !byToken.some((e) => e.token === tokens[i]));
      const byAlias = aliases.length ? await m.find(VerificationTokenEntity, { where: { key_alias: In(aliases) }, select: { token: true, key_alias: true } }) : [];
      const missingAliases = aliases.filter((a) => !byAlias.some((e) => e.key_alias === a));
      if (missing.length || missingAliases.length) {
        const names = [...missing.map((k) => (k.startsWith('sk-') ? maskKey(k) : k)), ...missingAliases.map((a) => `alias ${a}`)];
        throw ApiError.notFound(`Key(s) not found, nothing deleted: ${names.join(', ')}`, 'keys');
      }
      const all = [...new Set([...byToken, ...byAlias].map((e) => e.token))];
      await m.delete(VerificationTokenEntity, { token: In(all) });
      return all;
    });
    await this.changed(...deleted);
    return { deleted_keys: [...keys, ...aliases] };
  }

  /** A new secret with the same settings; the old key stops working at once. */
  async regenerate(oldKey: string, newKey?: string): Promise<KeyView & { key: string; token_id: string }> {
    const key = newKey ?? `sk-${randomBytes(16).toString('base64url')}`;
    const token = hashKey(key);
    const now = new Date();
    const { saved, oldToken } = await this.dataSource.transaction(async (m) => {
      // Locked: a spend write waits, so the copy below carries the latest spend.
      const e = await this.load(m, oldKey, true);
      if (await m.exists(VerificationTokenEntity, { where: { token } })) throw ApiError.badRequest('new_key already exists', 'new_key');
      const oldToken = e.token;
      // The primary key changes: insert the new row, then remove the old.
      const copy = m.create(VerificationTokenEntity, { ...e, token, key_name: maskKey(key), updated_at: now });
      const alias = e.key_alias;
      if (alias) await m.update(VerificationTokenEntity, { token: oldToken }, { key_alias: null });
      const saved = await m.save(copy);
      await m.delete(VerificationTokenEntity, { token: oldToken });
      return { saved, oldToken };
    });
    // Spend booked under the old hash (queued, or from requests still running) follows the key.
    await this.events.publish('proxy_key_change', `${RENAME}${oldToken}>${token}`);
    await this.changed(oldToken, token);
    return { key, token_id: token, ...this.view(saved) };
  }

  async setBlocked(key: string, blocked: boolean): Promise<KeyView> {
    const saved = await this.dataSource.transaction(async (m) => {
      const e = await this.load(m, key);
      e.blocked = blocked;
      e.updated_at = new Date();
      return m.save(e);
    });
    await this.changed(saved.token);
    return this.view(saved);
  }

  async info(key: string): Promise<{ key: string; info: KeyView }> {
    const e = await this.load(this.dataSource.manager, key);
    return { key: e.token, info: this.view(e) };
  }

  async list(q: ListKeysQueryDto): Promise<{ keys: Array<string | KeyView>; total_count: number; current_page: number; total_pages: number }> {
    const page = q.page ?? 1;
    const size = q.size ?? 10;
    const where: Partial<Record<'key_alias' | 'user_id' | 'team_id', string>> = {};
    if (q.key_alias) where.key_alias = q.key_alias;
    if (q.user_id) where.user_id = q.user_id;
    if (q.team_id) where.team_id = q.team_id;
    const [rows, total] = await this.dataSource.manager.findAndCount(VerificationTokenEntity, {
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

/** Two requests racing for one alias: the unique index decides; answer as for a taken alias. */
function rethrowUniqueAlias(err: unknown): never {
  const e = err as { code?: string; constraint?: string; driverError?: { code?: string; constraint?: string } };
  const code = e.driverError?.code ?? e.code;
  const constraint = e.driverError?.constraint ?? e.constraint;
  if (code === '23505' && constraint === 'UQ_verification_token_key_alias') {
    throw ApiError.badRequest('Unique key aliases across all keys are required: this key_alias already exists.', 'key_alias');
  }
  throw err;
}
