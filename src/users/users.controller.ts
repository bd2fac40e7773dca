import { type AuditActor, CurrentActor } from '../audit/actor.js';
import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AdminOnly } from '../common/public.decorator.js';
import {
  DeleteUsersResponseDto,
  ListUsersResponseDto,
  NewUserResponseDto,
  UpdateUserResponseDto,
  UserInfoResponseDto,
  UserViewDto,
} from './user-response.dto.js';
import { DeleteUsersDto, ListUsersQueryDto, NewUserDto, UpdateUserDto, UserInfoQueryDto } from './user.dto.js';
import { UsersService } from './users.service.js';

const BAD = ApiBadRequestResponse({ type: ErrorResponse, description: 'A known field of the wrong type or value (the message names it)' });
const NOT_FOUND = ApiNotFoundResponse({ type: ErrorResponse, description: 'No such user' });

@ApiTags('users')
@Controller('user')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('new')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Create an internal user and mint a key of it (the plain key is shown only in this answer)' })
  @ApiOkResponse({ type: NewUserResponseDto })
  @BAD
  create(@Body() dto: NewUserDto, @CurrentActor() actor: AuditActor): Promise<NewUserResponseDto | UserViewDto> {
    return this.users.create(dto, actor);
  }

  @Post('update')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: "Change a user's settings (takes effect for every key of the user on every instance at once)" })
  @ApiOkResponse({ type: UpdateUserResponseDto })
  @BAD
  @NOT_FOUND
  async update(@Body() dto: UpdateUserDto, @CurrentActor() actor: AuditActor): Promise<UpdateUserResponseDto> {
    const e = await this.users.update(dto, actor);
    return { user_id: e.user_id, data: this.users.view(e) };
  }

  @Post('delete')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Delete users and their keys' })
  @ApiOkResponse({ type: DeleteUsersResponseDto })
  @BAD
  @NOT_FOUND
  async delete(@Body() dto: DeleteUsersDto, @CurrentActor() actor: AuditActor): Promise<DeleteUsersResponseDto> {
    return { deleted_users: await this.users.delete(dto.user_ids, actor) };
  }

  @Get('info')
  @AdminOnly()
  @ApiOperation({ summary: 'A user with its keys' })
  @ApiOkResponse({ type: UserInfoResponseDto })
  @BAD
  @NOT_FOUND
  info(@Query() q: UserInfoQueryDto): Promise<UserInfoResponseDto> {
    return this.users.info(q.user_id);
  }

  @Get('list')
  @AdminOnly()
  @ApiOperation({ summary: 'List users (paged)' })
  @ApiOkResponse({ type: ListUsersResponseDto })
  @BAD
  list(@Query() q: ListUsersQueryDto): Promise<ListUsersResponseDto> {
    return this.users.list(q);
  }
}
