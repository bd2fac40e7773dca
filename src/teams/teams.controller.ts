import { type AuditActor, CurrentActor } from '../audit/actor.js';
import { Body, Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { OptionalString } from '../common/validation.js';
import { TeamAdminService } from './team-admin.service.js';
import { DeleteTeamsResponseDto, TeamInfoResponseDto, TeamMemberAddResponseDto, TeamViewDto, UpdateTeamResponseDto } from './team-response.dto.js';
import { DeleteTeamsDto, NewTeamDto, TeamIdDto, TeamMemberAddDto, TeamMemberDeleteDto, UpdateTeamDto } from './team.dto.js';
import { TeamsService } from './teams.service.js';
import { AdminGet, AdminPost, BadRequest, NotFound } from '../common/admin-route.decorator.js';

const BAD = BadRequest();
const NOT_FOUND = NotFound('team');

class TeamInfoQueryDto {
  @OptionalString({ description: 'The team to read' })
  team_id?: string;
}

class TeamListQueryDto {
  @OptionalString({ description: 'Only teams of this organization' })
  organization_id?: string;
}

@ApiTags('teams')
@Controller('team')
export class TeamsController {
  constructor(
    private readonly teams: TeamsService,
    private readonly admin: TeamAdminService,
  ) {}

  @AdminPost('new', 'Create a team (its models, budget, limits and block apply to every key of it)', TeamViewDto, BAD)
  async create(@Body() dto: NewTeamDto, @CurrentActor() actor: AuditActor): Promise<TeamViewDto> {
    return this.teams.view(await this.teams.create(dto, actor));
  }

  @AdminPost('update', "Change a team's settings (takes effect for every key of the team on every instance at once)", UpdateTeamResponseDto, BAD, NOT_FOUND)
  async update(@Body() dto: UpdateTeamDto, @CurrentActor() actor: AuditActor): Promise<UpdateTeamResponseDto> {
    const e = await this.teams.update(dto, actor);
    return { team_id: e.team_id, data: this.teams.view(e) };
  }

  @AdminPost('delete', 'Delete teams and their keys', DeleteTeamsResponseDto, BAD, NOT_FOUND)
  async delete(@Body() dto: DeleteTeamsDto, @CurrentActor() actor: AuditActor): Promise<DeleteTeamsResponseDto> {
    return { deleted_teams: await this.admin.delete(dto.team_ids, actor) };
  }

  @AdminGet('info', 'A team with its keys', TeamInfoResponseDto, BAD, NOT_FOUND)
  info(@Query() q: TeamInfoQueryDto): Promise<TeamInfoResponseDto> {
    return this.admin.info(q.team_id);
  }

  @AdminGet('list', 'Every team', [TeamViewDto])
  async list(@Query() q: TeamListQueryDto): Promise<TeamViewDto[]> {
    return (await this.teams.list(q.organization_id)).map((e) => this.teams.view(e));
  }

  @AdminPost('block', 'Block a team: every key of it is refused with 401 until unblocked', TeamViewDto, BAD, NOT_FOUND)
  async block(@Body() dto: TeamIdDto, @CurrentActor() actor: AuditActor): Promise<TeamViewDto> {
    return this.teams.view(await this.teams.setBlocked(dto.team_id, true, actor));
  }

  @AdminPost('unblock', 'Unblock a team', TeamViewDto, BAD, NOT_FOUND)
  async unblock(@Body() dto: TeamIdDto, @CurrentActor() actor: AuditActor): Promise<TeamViewDto> {
    return this.teams.view(await this.teams.setBlocked(dto.team_id, false, actor));
  }

  @AdminPost('member_add', 'Add members (one or a list) to a team', TeamMemberAddResponseDto, BAD, NOT_FOUND)
  memberAdd(@Body() dto: TeamMemberAddDto, @CurrentActor() actor: AuditActor): Promise<TeamMemberAddResponseDto> {
    return this.admin.addMembers(dto.team_id, dto.member, actor);
  }

  @AdminPost('member_delete', 'Remove a member (by user_id or user_email) from a team', TeamViewDto, BAD, NOT_FOUND)
  memberDelete(@Body() dto: TeamMemberDeleteDto, @CurrentActor() actor: AuditActor): Promise<TeamViewDto> {
    return this.admin.removeMember(dto.team_id, dto.user_id, dto.user_email, actor);
  }
}
