import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { AnyKey } from '../common/public.decorator.js';
import { ModelRegistry } from '../models/model-registry.service.js';
import { mayCall, resolveModel } from './model-alias.js';

const CREATED = Math.floor(Date.now() / 1000);

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
  @ApiOkResponse({ schema: { example: { object: 'list', data: [{ id: 'gemma-4-31b', object: 'model', created: 1764000000, owned_by: 'openai' }] } } })
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
