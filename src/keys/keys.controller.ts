import { Body, Controller, Get, Param, Query } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuditActor, CurrentActor } from '../audit/actor.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AnyKey } from '../common/public.decorator.js';
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
import { AdminGet, AdminPost, BadRequest, NotFound } from '../common/admin-route.decorator.js';

const BAD = BadRequest();
const NOT_FOUND = NotFound('key');

@ApiTags('keys')
@Controller('key')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @AdminPost('generate', 'Mint a virtual key (the plain key is shown only in this answer)', GenerateKeyResponseDto, BAD)
  generate(@Body() dto: GenerateKeyDto, @CurrentActor() actor: AuditActor): Promise<GenerateKeyResponseDto> {
    return this.keys.generate(dto, actor);
  }

  @AdminPost('update', "Change a key's settings (takes effect on every instance at once)", UpdateKeyResponseDto, BAD, NOT_FOUND)
  update(@Body() dto: UpdateKeyDto, @CurrentActor() actor: AuditActor): Promise<UpdateKeyResponseDto> {
    return this.keys.update(dto, actor);
  }

  @AdminPost('delete', 'Delete keys by key or alias (those that exist; 404 when none does)', DeleteKeysResponseDto, BAD)
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'None of the keys exists' })
  delete(@Body() dto: DeleteKeysDto, @CurrentActor() actor: AuditActor): Promise<DeleteKeysResponseDto> {
    return this.keys.delete(dto, actor);
  }

  @AdminPost('regenerate', 'New secret, same settings; the old key stops working', GenerateKeyResponseDto, BAD, NOT_FOUND)
  regenerate(@Body() dto: RegenerateKeyDto, @CurrentActor() actor: AuditActor): Promise<GenerateKeyResponseDto> {
    return this.keys.regenerate(dto.key, dto.new_key, actor);
  }

  @AdminPost(':key/regenerate', 'New secret, same settings (key in the path, as LiteLLM)', GenerateKeyResponseDto, NOT_FOUND)
  regenerateByPath(@Param('key') key: string, @CurrentActor() actor: AuditActor): Promise<GenerateKeyResponseDto> {
    return this.keys.regenerate(key, undefined, actor);
  }

  @AdminPost('block', 'Block a key (refused with 401 until unblocked)', KeyViewDto, BAD, NOT_FOUND)
  block(@Body() dto: KeyRefDto, @CurrentActor() actor: AuditActor): Promise<KeyViewDto> {
    return this.keys.setBlocked(dto.key, true, actor);
  }

  @AdminPost('unblock', 'Unblock a key', KeyViewDto, BAD, NOT_FOUND)
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

  @AdminGet('list', 'List keys (paged; filter by alias, user, team)', ListKeysResponseDto, BAD)
  list(@Query() q: ListKeysQueryDto): Promise<ListKeysResponseDto> {
    return this.keys.list(q);
  }
}
