import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, type Repository } from 'typeorm';
import type { AuditActor } from '../audit/actor.js';
import { type AuditAction, AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { applyScopeSettings, scopeView } from '../common/scope-settings.dto.js';
import { DbEventsService } from '../database/db-events.service.js';
import { ALL_MODELS, assertKnownModels, knownModels } from '../keys/key-settings.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { type BudgetPeriodOwner, BudgetResetService, resetDueRows } from '../spend/budget-reset.service.js';
import type { TeamViewDto } from './team-response.dto.js';
import type { MemberDto, NewTeamDto, TeamSettingsDto, UpdateTeamDto } from './team.dto.js';
import { TeamEntity } from './team.entity.js';

/** LiteLLM's default for the column is `{}`; a list is what it writes. */
export function membersOf(e: TeamEntity): MemberDto[] {
  return Array.isArray(e.members_with_roles) ? (e.members_with_roles as MemberDto[]) : [];
}

/**
 * LiteLLM_TeamTable: the only writer of team rows (spend excepted: the spend writer's statement rolls it up).
 * Every change is announced on `proxy_team_change`, so each instance re-reads the team's keys at once.
 */
@Injectable()
export class TeamsService implements BudgetPeriodOwner {
  constructor(
    @InjectRepository(TeamEntity) private readonly repo: Repository<TeamEntity>,
    private readonly events: DbEventsService,
    private readonly registry: ModelRegistry,
    private readonly audit: AuditService,
    budgetReset: BudgetResetService,
  ) {
    budgetReset.register(this);
  }

  view(e: TeamEntity): TeamViewDto {
    return {
      ...e,
      members_with_roles: membersOf(e),
      ...scopeView(e),
    };
  }

  private apply(e: TeamEntity, dto: TeamSettingsDto, now: Date): void {
    assertKnownModels(dto.models, knownModels(this.registry));
    if (dto.team_alias !== undefined) e.team_alias = dto.team_alias;
    applyScopeSettings(e, dto, now);
    if (dto.blocked != null) e.blocked = dto.blocked;
    if (dto.members_with_roles != null) this.setMembers(e, dto.members_with_roles);
    e.updated_at = now;
  }

  private setMembers(e: TeamEntity, members: MemberDto[]): void {
    e.members_with_roles = members.map((m) => ({ role: m.role, user_id: m.user_id ?? null, user_email: m.user_email ?? null })) as unknown as Record<
      string,
      unknown
    >;
    e.admins = members.filter((m) => m.role === 'admin' && m.user_id).map((m) => m.user_id!);
    e.members = members.filter((m) => m.user_id).map((m) => m.user_id!);
  }

  private async changed(...ids: string[]): Promise<void> {
    await this.events.changed('proxy_team_change', ...ids);
  }

  /** Saves the row and its audit entry in one transaction, then tells every instance. */
  private async save(e: TeamEntity, before: TeamEntity | null, action: AuditAction, actor: AuditActor): Promise<TeamEntity> {
    const saved = await this.repo.manager.transaction(async (m) => {
      const row = await m.save(e);
      await this.audit.record({ action, table: 'LiteLLM_TeamTable', objectId: e.team_id, before, after: row, actor }, m);
      return row;
    });
    await this.changed(e.team_id);
    return saved;
  }

  async create(dto: NewTeamDto, actor: AuditActor): Promise<TeamEntity> {
    const now = new Date();
    const team_id = dto.team_id ?? randomUUID();
    if (await this.repo.exists({ where: { team_id } }))
      throw ApiError.badRequest(`Team id = ${team_id} already exists. Please use a different team id.`, 'team_id');
    const e = this.repo.create({ team_id, models: [], metadata: {}, members_with_roles: [] as never, created_at: now, spend: 0, blocked: false });
    this.apply(e, dto, now);
    return this.save(e, null, 'created', actor);
  }

  async get(teamId: string): Promise<TeamEntity> {
    const e = await this.repo.findOne({ where: { team_id: teamId } });
    if (!e) throw ApiError.notFound(`Team not found, passed team_id=${teamId}`, 'team_id');
    return e;
  }

  async update(dto: UpdateTeamDto, actor: AuditActor): Promise<TeamEntity> {
    const e = await this.get(dto.team_id);
    const before = structuredClone(e);
    this.apply(e, dto, new Date());
    return this.save(e, before, 'updated', actor);
  }

  async setBlocked(teamId: string, blocked: boolean, actor: AuditActor): Promise<TeamEntity> {
    const e = await this.get(teamId);
    const before = structuredClone(e);
    e.blocked = blocked;
    e.updated_at = new Date();
    return this.save(e, before, blocked ? 'blocked' : 'unblocked', actor);
  }

  /** Deletes the teams that exist; none of them is a 404. */
  async delete(teamIds: string[], actor: AuditActor): Promise<string[]> {
    const rows = await this.repo.find({ where: { team_id: In(teamIds) } });
    const found = rows.map((t) => t.team_id);
    if (found.length === 0) throw ApiError.notFound(`Team not found, passed team_ids=${JSON.stringify(teamIds)}`, 'team_ids');
    await this.repo.manager.transaction(async (m) => {
      await m.delete(TeamEntity, { team_id: In(found) });
      for (const row of rows)
        await this.audit.record({ action: 'deleted', table: 'LiteLLM_TeamTable', objectId: row.team_id, before: row, after: null, actor }, m);
    });
    await this.changed(...found);
    return found;
  }

  list(organizationId?: string): Promise<TeamEntity[]> {
    return this.repo.find({ where: organizationId ? { organization_id: organizationId } : {}, order: { created_at: 'ASC', team_id: 'ASC' } });
  }

  /** Adds members (400 for a user already in the team, as LiteLLM). */
  async addMembers(teamId: string, add: MemberDto[], actor: AuditActor): Promise<TeamEntity> {
    const e = await this.get(teamId);
    const before = structuredClone(e);
    const members = membersOf(e);
    for (const m of add) {
      if (!m.user_id && !m.user_email) throw ApiError.badRequest('Either user_id or user_email is required for a member', 'member');
      if (members.some((x) => (m.user_id && x.user_id === m.user_id) || (m.user_email && x.user_email === m.user_email))) {
        throw ApiError.badRequest(`User=${m.user_id ?? m.user_email} already in team. Existing members=${JSON.stringify(members)}`, 'member');
      }
      members.push(m);
    }
    this.setMembers(e, members);
    e.updated_at = new Date();
    return this.save(e, before, 'updated', actor);
  }

  async removeMember(teamId: string, userId: string | null | undefined, email: string | null | undefined, actor: AuditActor): Promise<TeamEntity> {
    if (!userId && !email) throw ApiError.badRequest('Either user_id or user_email is required', 'user_id');
    const e = await this.get(teamId);
    const before = structuredClone(e);
    const members = membersOf(e);
    const kept = members.filter((x) => !((userId && x.user_id === userId) || (email && x.user_email === email)));
    if (kept.length === members.length) throw ApiError.badRequest(`User=${userId ?? email} is not a member of team=${teamId}`, 'user_id');
    this.setMembers(e, kept);
    e.updated_at = new Date();
    return this.save(e, before, 'updated', actor);
  }

  /**
   * A key minted into (or moved to) a team may name only the team's models (LiteLLM refuses the others);
   * a team with `models: []` (or `all-proxy-models`) allows every model. A team that does not exist restricts nothing.
   */
  async assertKeyModels(teamId: string | null | undefined, models: string[] | null | undefined): Promise<void> {
    if (!teamId || !models?.length) return;
    const team = await this.repo.findOne({ where: { team_id: teamId }, select: { team_id: true, models: true } });
    if (!team || team.models.length === 0 || team.models.some((m) => ALL_MODELS.includes(m))) return;
    const outside = models.filter((m) => !team.models.includes(m));
    if (outside.length === 0) return;
    throw ApiError.badRequest(
      `Model not in team's models: ${outside.map((m) => JSON.stringify(m)).join(', ')}. Team=${teamId} can only access models=${JSON.stringify(team.models)}`,
      'models',
    );
  }

  async resetDueBudgets(now: Date): Promise<string[]> {
    const ids = await this.repo.manager.transaction((m) => resetDueRows(m, 'LiteLLM_TeamTable', 'team_id', now));
    await this.changed(...ids);
    return ids;
  }
}
