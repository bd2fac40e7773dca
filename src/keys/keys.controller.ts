import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { AdminOnly, AnyKey } from '../common/public.decorator.js';
import { DeleteKeysDto, GenerateKeyDto, KeyInfoQueryDto, KeyRefDto, ListKeysQueryDto, RegenerateKeyDto, UpdateKeyDto } from './key.dto.js';
import { KeysService, tokenOf } from './keys.service.js';

@ApiTags('keys')
@Controller('key')
export class KeysController {
  constructor(private readonly keys: KeysService) {}

  @Post('generate')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Mint a virtual key (the plain key is shown only in this answer)' })
  generate(@Body() dto: GenerateKeyDto) {
    return this.keys.generate(dto);
  }

  @Post('update')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: "Change a key's settings (takes effect on every instance at once)" })
  update(@Body() dto: UpdateKeyDto) {
    return this.keys.update(dto);
  }

  @Post('delete')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Delete keys by key or alias (all or nothing)' })
  delete(@Body() dto: DeleteKeysDto) {
    return this.keys.delete(dto);
  }

  @Post('regenerate')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'New secret, same settings; the old key stops working' })
  regenerate(@Body() dto: RegenerateKeyDto) {
    return this.keys.regenerate(dto.key, dto.new_key);
  }

  @Post(':key/regenerate')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'New secret, same settings (key in the path, as LiteLLM)' })
  regenerateByPath(@Param('key') key: string) {
    return this.keys.regenerate(key);
  }

  @Post('block')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Block a key (refused with 401 until unblocked)' })
  block(@Body() dto: KeyRefDto) {
    return this.keys.setBlocked(dto.key, true);
  }

  @Post('unblock')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Unblock a key' })
  unblock(@Body() dto: KeyRefDto) {
    return this.keys.setBlocked(dto.key, false);
  }

  @Get('info')
  @AnyKey()
  @ApiOperation({ summary: "A key's settings and live spend (a virtual key may read only itself)" })
  info(@Query() q: KeyInfoQueryDto, @CurrentPrincipal() principal: Principal) {
    if (principal.kind === 'virtual') {
      if (q.key && tokenOf(q.key) !== principal.key.token) throw ApiError.forbidden('A virtual key may only read its own /key/info.');
      return this.keys.info(principal.key.token);
    }
    if (!q.key) throw ApiError.badRequest('Pass ?key=<key or hash>', 'key');
    return this.keys.info(q.key);
  }

  @Get('list')
  @AdminOnly()
  @ApiOperation({ summary: 'List keys (paged; filter by alias, user, team)' })
  list(@Query() q: ListKeysQueryDto) {
    return this.keys.list(q);
  }
}
