import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { type AuditActor, CurrentActor } from '../audit/actor.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AdminOnly, AnyKey } from '../common/public.decorator.js';
import { ConfigReloadService } from './config-reload.service.js';
import { ConfigReloadedDto, ModelDeletedDto, ModelGroupInfoResponseDto, ModelInfoResponseDto, ModelViewDto } from './model-response.dto.js';
import { DeleteModelDto, NewModelDto, UpdateModelDto } from './model.dto.js';

const BAD = ApiBadRequestResponse({ type: ErrorResponse, description: 'A field of the wrong type or value, or STORE_MODEL_IN_DB is off' });
const NOT_FOUND = ApiNotFoundResponse({ type: ErrorResponse, description: 'No such database model' });
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
  @ApiOkResponse({ type: ModelViewDto })
  @BAD
  create(@Body() dto: NewModelDto, @CurrentActor() actor: AuditActor) {
    return this.models.create(dto, actor);
  }

  @Post('model/update')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Change a database model (params and info are merged)' })
  @ApiOkResponse({ type: ModelViewDto })
  @BAD
  @NOT_FOUND
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

  @Post('model/delete')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Delete a database model' })
  @ApiOkResponse({ type: ModelDeletedDto })
  @BAD
  @NOT_FOUND
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

  @Post('config/reload')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Re-read the config file (like SIGHUP); an invalid file is refused and the old config keeps serving' })
  @ApiOkResponse({ type: ConfigReloadedDto })
  @ApiBadRequestResponse({ type: ErrorResponse, description: 'The file is invalid (the old config keeps serving)' })
  reload(@CurrentActor() actor: AuditActor) {
    return this.reloader.reload(actor);
  }
}
