import { Injectable } from '@nestjs/common';
import type { AuditActor } from '../audit/actor.js';
import { ApiError } from '../common/api-error.js';
import { KeysService } from '../keys/keys.service.js';
import { UsersService } from '../users/users.service.js';
import type { TeamInfoResponseDto, TeamMemberAddResponseDto } from './team-response.dto.js';
import type { MemberDto } from './team.dto.js';
import { TeamsService } from './teams.service.js';

/** The /team operations that reach past the team row: its keys (KeysService) and its members' user rows (UsersService). */
@Injectable()
export class TeamAdminService {
  constructor(
    private readonly teams: TeamsService,
    private readonly keys: KeysService,
    private readonly users: UsersService,
  ) {}

  async info(teamId: string | undefined): Promise<TeamInfoResponseDto> {
    if (!teamId) throw ApiError.badRequest('Pass ?team_id=<team id>', 'team_id');
    const team = await this.teams.get(teamId);
    return { team_id: teamId, team_info: this.teams.view(team), keys: await this.keys.ownedBy('team_id', teamId), team_memberships: [] };
  }

  /** As LiteLLM: the team's keys go with it. */
  async delete(teamIds: string[], actor: AuditActor): Promise<string[]> {
    const deleted = await this.teams.delete(teamIds, actor);
    await this.keys.deleteOwnedBy('team_id', deleted, actor);
    return deleted;
  }

  /** Adds the members to the team and the team to each member's user row (created when missing, as LiteLLM). */
  async addMembers(teamId: string, members: MemberDto[], actor: AuditActor): Promise<TeamMemberAddResponseDto> {
    const team = await this.teams.addMembers(teamId, members, actor);
    const updated = [];
    for (const m of members) if (m.user_id) updated.push(this.users.view(await this.users.joinTeam(m.user_id, m.user_email ?? null, teamId, actor)));
    return { ...this.teams.view(team), updated_users: updated, updated_team_memberships: [] };
  }

  async removeMember(teamId: string, userId: string | null | undefined, email: string | null | undefined, actor: AuditActor) {
    const team = await this.teams.removeMember(teamId, userId, email, actor);
    if (userId) await this.users.leaveTeam(userId, teamId, actor);
    return this.teams.view(team);
  }
}
