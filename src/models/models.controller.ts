import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type AuditActor, CurrentActor } from '../audit/actor.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AdminOnly, AnyKey } from '../common/public.decorator.js';
import { ConfigReloadService } from './config-reload.service.js';
import { ConfigReloadedDto, ModelDeletedDto, ModelGroupInfoResponseDto, ModelInfoResponseDto, ModelViewDto } from './model-response.dto.js';
import { DeleteModelDto, NewModelDto, UpdateModelDto } from './model.dto.js';

const BAD = BadRequest('A field of the wrong type or value, or STORE_MODEL_IN_DB is off');
const NOT_FOUND = NotFound('database model');
import { ModelsService } from './models.service.js';
import { AdminPost, BadRequest, NotFound } from '../common/admin-route.decorator.js';

@ApiTags('models')
@Controller()
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly reloader: ConfigReloadService,
  ) {}

  @AdminPost('model/new', 'Add a model deployment to the database (STORE_MODEL_IN_DB); serves at once on every instance', ModelViewDto, BAD)
  create(@Body() dto: NewModelDto, @CurrentActor() actor: AuditActor) {
    return this.models.create(dto, actor);
  }

  @AdminPost('model/update', 'Change a database model (params and info are merged)', ModelViewDto, BAD, NOT_FOUND)
  update(@Body() dto: UpdateModelDto, @CurrentActor() actor: AuditActor) {
    return this.models.update(dto, actor);
  }

  @Patch('model/:id/update')
  @AdminOnly()
  @ApiOperation({ summary: 'Change a database model by id' })
  @ApiOkResponse({ type: ModelViewDto })
  @BAD
  @NOT_FOUND
  patch(@Param('id') id: string, @Body() dto: UpdateModelDto, @CurrentActor() actor: AuditActor) {
    return this.models.update(dto, actor, id);
  }

  @AdminPost('model/delete', 'Delete a database model', ModelDeletedDto, BAD, NOT_FOUND)
  delete(@Body() dto: DeleteModelDto, @CurrentActor() actor: AuditActor) {
    return this.models.delete(dto.id, actor);
  }

  @Get(['model/info', 'v1/model/info'])
  @AnyKey()
  @ApiQuery({ name: 'litellm_model_id', type: 'string', required: false })
  @ApiOperation({ summary: 'Every deployment (config and database) with prices; secrets masked; a virtual key sees only its models' })
  @ApiOkResponse({ type: ModelInfoResponseDto })
  info(@CurrentPrincipal() principal: Principal, @Query('litellm_model_id') id?: string) {
    return this.models.info(principal, id);
  }

  @Get('model_group/info')
  @AnyKey()
  @ApiQuery({ name: 'model_group', type: 'string', required: false })
  @ApiOperation({ summary: 'Per alias: deployments, prices and limits' })
  @ApiOkResponse({ type: ModelGroupInfoResponseDto })
  groupInfo(@CurrentPrincipal() principal: Principal, @Query('model_group') group?: string) {
    return this.models.groupInfo(principal, group);
  }

  @AdminPost('config/reload', 'Re-read the config file (like SIGHUP); an invalid file is refused and the old config keeps serving', ConfigReloadedDto)
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'The file is invalid (the old config keeps serving)' })
  reload(@CurrentActor() actor: AuditActor) {
    return this.reloader.reload(actor);
  }
}
