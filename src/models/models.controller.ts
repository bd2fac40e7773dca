import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { AdminOnly, AnyKey } from '../common/public.decorator.js';
import { ConfigReloadService } from './config-reload.service.js';
import { DeleteModelDto, NewModelDto, UpdateModelDto } from './model.dto.js';
import { ModelsService } from './models.service.js';

@ApiTags('models')
@Controller()
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly reloader: ConfigReloadService,
  ) {}

  @Post('model/new')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Add a model deployment to the database (STORE_MODEL_IN_DB); serves at once on every instance' })
  create(@Body() dto: NewModelDto) {
    return this.models.create(dto);
  }

  @Post('model/update')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Change a database model (params and info are merged)' })
  update(@Body() dto: UpdateModelDto) {
    return this.models.update(dto);
  }

  @Patch('model/:id/update')
  @AdminOnly()
  @ApiOperation({ summary: 'Change a database model by id' })
  patch(@Param('id') id: string, @Body() dto: UpdateModelDto) {
    return this.models.update(dto, id);
  }

  @Post('model/delete')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Delete a database model' })
  delete(@Body() dto: DeleteModelDto) {
    return this.models.delete(dto.id);
  }

  @Get(['model/info', 'v1/model/info'])
  @AnyKey()
  @ApiQuery({ name: 'litellm_model_id', required: false })
  @ApiOperation({ summary: 'Every deployment (config and database) with prices; secrets masked; a virtual key sees only its models' })
  info(@CurrentPrincipal() principal: Principal, @Query('litellm_model_id') id?: string) {
    return this.models.info(principal, id);
  }

  @Get('model_group/info')
  @AnyKey()
  @ApiQuery({ name: 'model_group', required: false })
  @ApiOperation({ summary: 'Per alias: deployments, prices and limits' })
  groupInfo(@CurrentPrincipal() principal: Principal, @Query('model_group') group?: string) {
    return this.models.groupInfo(principal, group);
  }

  @Post('config/reload')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Re-read the config file (like SIGHUP); an invalid file is refused and the old config keeps serving' })
  reload() {
    return this.reloader.reload();
  }
}
