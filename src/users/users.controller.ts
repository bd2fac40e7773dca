import { type AuditActor, CurrentActor } from '../audit/actor.js';
import { Body, Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
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
import { AdminGet, AdminPost, BadRequest, NotFound } from '../common/admin-route.decorator.js';

const BAD = BadRequest();
const NOT_FOUND = NotFound('user');

@ApiTags('users')
@Controller('user')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @AdminPost('new', 'Create an internal user and mint a key of it (the plain key is shown only in this answer)', NewUserResponseDto, BAD)
  create(@Body() dto: NewUserDto, @CurrentActor() actor: AuditActor): Promise<NewUserResponseDto | UserViewDto> {
    return this.users.create(dto, actor);
  }

  @AdminPost('update', "Change a user's settings (takes effect for every key of the user on every instance at once)", UpdateUserResponseDto, BAD, NOT_FOUND)
  async update(@Body() dto: UpdateUserDto, @CurrentActor() actor: AuditActor): Promise<UpdateUserResponseDto> {
    const e = await this.users.update(dto, actor);
    return { user_id: e.user_id, data: this.users.view(e) };
  }

  @AdminPost('delete', 'Delete users and their keys', DeleteUsersResponseDto, BAD, NOT_FOUND)
  async delete(@Body() dto: DeleteUsersDto, @CurrentActor() actor: AuditActor): Promise<DeleteUsersResponseDto> {
    return { deleted_users: await this.users.delete(dto.user_ids, actor) };
  }

  @AdminGet('info', 'A user with its keys', UserInfoResponseDto, BAD, NOT_FOUND)
  info(@Query() q: UserInfoQueryDto): Promise<UserInfoResponseDto> {
    return this.users.info(q.user_id);
  }

  @AdminGet('list', 'List users (paged)', ListUsersResponseDto, BAD)
  list(@Query() q: ListUsersQueryDto): Promise<ListUsersResponseDto> {
    return this.users.list(q);
  }
}
