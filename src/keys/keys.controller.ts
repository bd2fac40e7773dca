import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuditActor, CurrentActor } from '../audit/actor.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AdminOnly, AnyKey } from '../common/public.decorator.js';
import { DeleteKeysDto, KeyInfoQueryDto, KeyRefDto, ListKeysQueryDto, RegenerateKeyDto } from './key-query.dto.js';
import {
  DeleteKeysResponseDto,
  GenerateKeyResponseDto,
  KeyInfoResponseDto,
  KeyViewDto,
  ListKeysResponseDto,
  UpdateKeyResponseDto,
} from './key-response.dto.js';
import { GenerateKeyDto, UpdateKeyDto } from './key.dto.js';
import { KeysService } from './keys.service.js';

const BAD = ApiBadRequestResponse({ type: ErrorResponse, description: 'A known field of the wrong type or value (the message names it)' });
const NOT_FOUND = ApiNotFoundResponse({ type: ErrorResponse, description: 'No such key' });

@ApiTags('keys')
@Controller('key')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post('generate')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Mint a virtual key (the plain key is shown only in this answer)' })
  @ApiOkResponse({ type: GenerateKeyResponseDto })
  @BAD
  generate(@Body() dto: GenerateKeyDto, @CurrentActor() actor: AuditActor): Promise<GenerateKeyResponseDto> {
    return this.keys.generate(dto, actor);
  }

  @Post('update')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: "Change a key's settings (takes effect on every instance at once)" })
  @ApiOkResponse({ type: UpdateKeyResponseDto })
  @BAD
  @NOT_FOUND
  update(@Body() dto: UpdateKeyDto, @CurrentActor() actor: AuditActor): Promise<UpdateKeyResponseDto> {
    return this.keys.update(dto, actor);
  }

  @Post('delete')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Delete keys by key or alias (those that exist; 404 when none does)' })
  @ApiOkResponse({ type: DeleteKeysResponseDto })
  @BAD
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'None of the keys exists' })
  delete(@Body() dto: DeleteKeysDto, @CurrentActor() actor: AuditActor): Promise<DeleteKeysResponseDto> {
    return this.keys.delete(dto, actor);
  }

  @Post('regenerate')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'New secret, same settings; the old key stops working' })
  @ApiOkResponse({ type: GenerateKeyResponseDto })
  @BAD
  @NOT_FOUND
  regenerate(@Body() dto: RegenerateKeyDto, @CurrentActor() actor: AuditActor): Promise<GenerateKeyResponseDto> {
    return this.keys.regenerate(dto.key, dto.new_key, actor);
  }

  @Post(':key/regenerate')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'New secret, same settings (key in the path, as LiteLLM)' })
  @ApiOkResponse({ type: GenerateKeyResponseDto })
  @NOT_FOUND
  regenerateByPath(@Param('key') key: string, @CurrentActor() actor: AuditActor): Promise<GenerateKeyResponseDto> {
    return this.keys.regenerate(key, undefined, actor);
  }

  @Post('block')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Block a key (refused with 401 until unblocked)' })
  @ApiOkResponse({ type: KeyViewDto })
  @BAD
  @NOT_FOUND
  block(@Body() dto: KeyRefDto, @CurrentActor() actor: AuditActor): Promise<KeyViewDto> {
    return this.keys.setBlocked(dto.key, true, actor);
  }

  @Post('unblock')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Unblock a key' })
  @ApiOkResponse({ type: KeyViewDto })
  @BAD
  @NOT_FOUND
  unblock(@Body() dto: KeyRefDto, @CurrentActor() actor: AuditActor): Promise<KeyViewDto> {
    return this.keys.setBlocked(dto.key, false, actor);
  }

  @Get('info')
  @AnyKey({ forbidden: 'A virtual key asking for another key' })
  @ApiOperation({ summary: "A key's settings and live spend (a virtual key may read only itself)" })
  @ApiOkResponse({ type: KeyInfoResponseDto })
  @BAD
  @NOT_FOUND
  info(@Query() q: KeyInfoQueryDto, @CurrentPrincipal() principal: Principal): Promise<KeyInfoResponseDto> {
    return this.keys.info(principal, q.key);
  }

  @Get('list')
  @AdminOnly()
  @ApiOperation({ summary: 'List keys (paged; filter by alias, user, team)' })
  @ApiOkResponse({ type: ListKeysResponseDto })
  @BAD
  list(@Query() q: ListKeysQueryDto): Promise<ListKeysResponseDto> {
    return this.keys.list(q);
  }
}
