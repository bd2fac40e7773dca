import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, type Repository } from 'typeorm';
import type { AuditActor } from '../audit/actor.js';
import { type AuditAction, AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { applyScopeSettings, scopeView } from '../common/scope-settings.dto.js';
import { DbEventsService } from '../database/db-events.service.js';
import { assertKnownModels, knownModels } from '../keys/key-settings.js';
import { KeysService } from '../keys/keys.service.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { type BudgetPeriodOwner, BudgetResetService, resetDueRows } from '../spend/budget-reset.service.js';
import type { ListUsersResponseDto, NewUserResponseDto, UserInfoResponseDto, UserViewDto } from './user-response.dto.js';
import type { ListUsersQueryDto, NewUserDto, UpdateUserDto, UserSettingsDto } from './user.dto.js';
import { UserEntity } from './user.entity.js';

/**
 * LiteLLM_UserTable: the only writer of user rows (spend excepted: the spend writer's statement rolls it up).
 * Every change is announced on `proxy_user_change`, so each instance re-reads the user's keys at once.
 */
@Injectable()
export class UsersService implements BudgetPeriodOwner {
  constructor(
    @InjectRepository(UserEntity) private readonly repo: Repository<UserEntity>,
    private readonly events: DbEventsService,
    private readonly registry: ModelRegistry,
    private readonly keys: KeysService,
    private readonly audit: AuditService,
    budgetReset: BudgetResetService,
  ) {
    budgetReset.register(this);
  }

  view(e: UserEntity): UserViewDto {
    const { password: _password, ...row } = e;
    return {
      ...row,
      ...scopeView(e),
    };
  }

  private apply(e: UserEntity, dto: UserSettingsDto, now: Date): void {
    assertKnownModels(dto.models, knownModels(this.registry));
    if (dto.user_email !== undefined) e.user_email = dto.user_email;
    if (dto.user_alias !== undefined) e.user_alias = dto.user_alias;
    if (dto.user_role !== undefined) e.user_role = dto.user_role;
    applyScopeSettings(e, dto, now);
    if (dto.spend != null) e.spend = dto.spend;
    e.updated_at = now;
  }

  private async changed(...ids: string[]): Promise<void> {
    await this.events.changed('proxy_user_change', ...ids);
  }

  /** Saves the row and its audit entry (password hash left out) in one transaction, then tells every instance. */
  private async save(e: UserEntity, before: UserEntity | null, action: AuditAction, actor: AuditActor): Promise<UserEntity> {
    const saved = await this.repo.manager.transaction(async (m) => {
      const row = await m.save(e);
      await this.audit.record(
        { action, table: 'LiteLLM_UserTable', objectId: e.user_id, before: before && this.view(before), after: this.view(row), actor },
        m,
      );
      return row;
    });
    await this.changed(e.user_id);
    return saved;
  }

  /** /user/new: the user row, and (unless `auto_create_key: false`) a key of the user, as LiteLLM answers both. */
  async create(dto: NewUserDto, actor: AuditActor): Promise<NewUserResponseDto | UserViewDto> {
    const now = new Date();
    const user_id = dto.user_id ?? randomUUID();
    if (await this.repo.exists({ where: { user_id } })) throw ApiError.badRequest(`User with id=${user_id} already exists`, 'user_id');
    const e = this.repo.create({ user_id, teams: dto.teams ?? [], models: [], metadata: {}, spend: 0, created_at: now, user_role: 'internal_user' });
    this.apply(e, dto, now);
    const user = this.view(await this.save(e, null, 'created', actor));
    if (dto.auto_create_key === false) return user;
    const key = await this.keys.generate({ user_id, team_id: dto.team_id, key_alias: dto.key_alias, duration: dto.duration }, actor);
    return { ...key, ...user, expires: key.expires };
  }

  async get(userId: string): Promise<UserEntity> {
    const e = await this.repo.findOne({ where: { user_id: userId } });
    if (!e) throw ApiError.notFound(`User not found, passed user_id=${userId}`, 'user_id');
    return e;
  }

  async info(userId: string | undefined): Promise<UserInfoResponseDto> {
    if (!userId) throw ApiError.badRequest('Pass ?user_id=<user id>', 'user_id');
    const e = await this.get(userId);
    return { user_id: userId, user_info: this.view(e), keys: await this.keys.ownedBy('user_id', userId), teams: e.teams };
  }

  async update(dto: UpdateUserDto, actor: AuditActor): Promise<UserEntity> {
    const e = await this.get(dto.user_id);
    const before = structuredClone(e);
    this.apply(e, dto, new Date());
    return this.save(e, before, 'updated', actor);
  }

  /** Deletes the users that exist and their keys (as LiteLLM); none of them is a 404. */
  async delete(userIds: string[], actor: AuditActor): Promise<string[]> {
    const rows = await this.repo.find({ where: { user_id: In(userIds) } });
    const found = rows.map((u) => u.user_id);
    if (found.length === 0) throw ApiError.notFound(`User not found, passed user_ids=${JSON.stringify(userIds)}`, 'user_ids');
    await this.keys.deleteOwnedBy('user_id', found, actor);
    await this.repo.manager.transaction(async (m) => {
      await m.delete(UserEntity, { user_id: In(found) });
      for (const row of rows)
        await this.audit.record({ action: 'deleted', table: 'LiteLLM_UserTable', objectId: row.user_id, before: this.view(row), after: null, actor }, m);
    });
    await this.changed(...found);
    return found;
  }

  async list(q: ListUsersQueryDto): Promise<ListUsersResponseDto> {
    const page = q.page ?? 1;
    const size = q.page_size ?? 25;
    const [rows, total] = await this.repo.findAndCount({
      where: q.role ? { user_role: q.role } : {},
      order: { created_at: 'ASC', user_id: 'ASC' },
      skip: (page - 1) * size,
      take: size,
    });
    return { users: rows.map((r) => this.view(r)), total, page, page_size: size, total_pages: Math.ceil(total / size) };
  }

  /** A team member: the user row is created when missing (as LiteLLM's /team/member_add), and names the team. */
  async joinTeam(userId: string, email: string | null, teamId: string, actor: AuditActor): Promise<UserEntity> {
    const found = await this.repo.findOne({ where: { user_id: userId } });
    const e = found ?? this.repo.create({ user_id: userId, user_email: email, teams: [], models: [], metadata: {}, spend: 0, user_role: 'internal_user' });
    const before = found && structuredClone(found);
    if (!e.teams.includes(teamId)) e.teams = [...e.teams, teamId];
    e.updated_at = new Date();
    return this.save(e, before, found ? 'updated' : 'created', actor);
  }

  async leaveTeam(userId: string, teamId: string, actor: AuditActor): Promise<void> {
    const e = await this.repo.findOne({ where: { user_id: userId } });
    if (!e || !e.teams.includes(teamId)) return;
    const before = structuredClone(e);
    e.teams = e.teams.filter((t) => t !== teamId);
    e.updated_at = new Date();
    await this.save(e, before, 'updated', actor);
  }

  async resetDueBudgets(now: Date): Promise<string[]> {
    const ids = await this.repo.manager.transaction((m) => resetDueRows(m, 'LiteLLM_UserTable', 'user_id', now));
    await this.changed(...ids);
    return ids;
  }
}
