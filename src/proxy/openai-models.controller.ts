import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AnyKey } from '../common/public.decorator.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { mayCall, resolveModel } from './model-alias.js';

const CREATED = Math.floor(Date.now() / 1000);

const MODEL_SCHEMA = {
  type: 'object',
  required: ['id', 'object', 'created', 'owned_by'],
  properties: {
    id: { type: 'string', example: 'gemma-4-31b', description: 'The alias to send as `model`' },
    object: { type: 'string', enum: ['model'] },
    created: { type: 'integer', example: 1764000000 },
    owned_by: { type: 'string', example: 'openai' },
  },
};

interface OpenAIModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/** OpenAI's model list: aliases only, and only those the key may use. */
@ApiTags('openai')
@Controller()
export class OpenAIModelsController {
  constructor(private readonly registry: ModelRegistry) {}

  @Get(['v1/models', 'models'])
  @AnyKey()
  @ApiOperation({ summary: 'List the model aliases this key may use (OpenAI shape)' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['object', 'data'],
      properties: { object: { type: 'string', enum: ['list'] }, data: { type: 'array', items: MODEL_SCHEMA } },
    },
  })
  list(@CurrentPrincipal() principal: Principal): { object: 'list'; data: OpenAIModel[] } {
    const data = this.registry
      .listedNames()
      .filter((name) => this.mayUse(principal, name))
      .map((id) => ({ id, object: 'model' as const, created: CREATED, owned_by: 'openai' }));
    return { object: 'list', data };
  }

  @Get(['v1/models/:id', 'models/:id'])
  @AnyKey()
  @ApiOperation({ summary: 'One model alias (OpenAI shape)' })
  @ApiOkResponse({ schema: MODEL_SCHEMA })
  @ApiNotFoundResponse({ type: ErrorResponse, description: 'No such alias, or one this key may not use' })
  get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): OpenAIModel {
    if (!this.registry.has(this.registry.resolve(id)) || !this.mayUse(principal, id)) {
      throw ApiError.notFound(`The model '${id}' does not exist or this key may not use it. Call /v1/models to list available models.`, 'model');
    }
    return { id, object: 'model', created: CREATED, owned_by: 'openai' };
  }

  /** As the proxy decides it: the key's aliases, `model_group_alias` and access groups count. */
  private mayUse(principal: Principal, name: string): boolean {
    return mayCall(principal, resolveModel(principal, name, this.registry), this.registry);
  }
}
