import { type AuditActor, CurrentActor } from '../audit/actor.js';
import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AdminOnly } from '../common/public.decorator.js';
import { OptionalString } from '../common/validation.js';
import { TeamAdminService } from './team-admin.service.js';
import { DeleteTeamsResponseDto, TeamInfoResponseDto, TeamMemberAddResponseDto, TeamViewDto, UpdateTeamResponseDto } from './team-response.dto.js';
import { DeleteTeamsDto, NewTeamDto, TeamIdDto, TeamMemberAddDto, TeamMemberDeleteDto, UpdateTeamDto } from './team.dto.js';
import { TeamsService } from './teams.service.js';

const BAD = ApiBadRequestResponse({ type: ErrorResponse, description: 'A known field of the wrong type or value (the message names it)' });
const NOT_FOUND = ApiNotFoundResponse({ type: ErrorResponse, description: 'No such team' });

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

  @Post('new')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Create a team (its models, budget, limits and block apply to every key of it)' })
  @ApiOkResponse({ type: TeamViewDto })
  @BAD
  async create(@Body() dto: NewTeamDto, @CurrentActor() actor: AuditActor): Promise<TeamViewDto> {
    return this.teams.view(await this.teams.create(dto, actor));
  }

  @Post('update')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: "Change a team's settings (takes effect for every key of the team on every instance at once)" })
  @ApiOkResponse({ type: UpdateTeamResponseDto })
  @BAD
  @NOT_FOUND
  async update(@Body() dto: UpdateTeamDto, @CurrentActor() actor: AuditActor): Promise<UpdateTeamResponseDto> {
    const e = await this.teams.update(dto, actor);
    return { team_id: e.team_id, data: this.teams.view(e) };
  }

  @Post('delete')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Delete teams and their keys' })
  @ApiOkResponse({ type: DeleteTeamsResponseDto })
  @BAD
  @NOT_FOUND
  async delete(@Body() dto: DeleteTeamsDto, @CurrentActor() actor: AuditActor): Promise<DeleteTeamsResponseDto> {
    return { deleted_teams: await this.admin.delete(dto.team_ids, actor) };
  }

  @Get('info')
  @AdminOnly()
  @ApiOperation({ summary: 'A team with its keys' })
  @ApiOkResponse({ type: TeamInfoResponseDto })
  @BAD
  @NOT_FOUND
  info(@Query() q: TeamInfoQueryDto): Promise<TeamInfoResponseDto> {
    return this.admin.info(q.team_id);
  }

  @Get('list')
  @AdminOnly()
  @ApiOperation({ summary: 'Every team' })
  @ApiOkResponse({ type: [TeamViewDto] })
  async list(@Query() q: TeamListQueryDto): Promise<TeamViewDto[]> {
    return (await this.teams.list(q.organization_id)).map((e) => this.teams.view(e));
  }

  @Post('block')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Block a team: every key of it is refused with 401 until unblocked' })
  @ApiOkResponse({ type: TeamViewDto })
  @BAD
  @NOT_FOUND
  async block(@Body() dto: TeamIdDto, @CurrentActor() actor: AuditActor): Promise<TeamViewDto> {
    return this.teams.view(await this.teams.setBlocked(dto.team_id, true, actor));
  }

  @Post('unblock')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Unblock a team' })
  @ApiOkResponse({ type: TeamViewDto })
  @BAD
  @NOT_FOUND
  async unblock(@Body() dto: TeamIdDto, @CurrentActor() actor: AuditActor): Promise<TeamViewDto> {
    return this.teams.view(await this.teams.setBlocked(dto.team_id, false, actor));
  }

  @Post('member_add')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Add members (one or a list) to a team' })
  @ApiOkResponse({ type: TeamMemberAddResponseDto })
  @BAD
  @NOT_FOUND
  memberAdd(@Body() dto: TeamMemberAddDto, @CurrentActor() actor: AuditActor): Promise<TeamMemberAddResponseDto> {
    return this.admin.addMembers(dto.team_id, dto.member, actor);
  }

  @Post('member_delete')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Remove a member (by user_id or user_email) from a team' })
  @ApiOkResponse({ type: TeamViewDto })
  @BAD
  @NOT_FOUND
  memberDelete(@Body() dto: TeamMemberDeleteDto, @CurrentActor() actor: AuditActor): Promise<TeamViewDto> {
    return this.admin.removeMember(dto.team_id, dto.user_id, dto.user_email, actor);
  }
}
