import type { OpenAPIObject } from '@nestjs/swagger';
import type { RouteFamily } from './common.js';
import { ANTHROPIC_MESSAGES } from './anthropic-messages.js';
import { OPENAI_AUDIO } from './openai-audio.js';
import { OPENAI_CHAT } from './openai-chat.js';
import { OPENAI_RESPONSES } from './openai-responses.js';
import { VLLM_POOLING } from './vllm-pooling.js';
import { VLLM_TOKENIZE } from './vllm-tokenize.js';

const FAMILIES: RouteFamily[] = [OPENAI_CHAT, OPENAI_RESPONSES, OPENAI_AUDIO, VLLM_POOLING, VLLM_TOKENIZE, ANTHROPIC_MESSAGES];

const TAGS = [
  { name: 'openai', description: 'OpenAI-compatible routes (also at the same path without /v1), answered by a vLLM deployment of `model`' },
  { name: 'vllm', description: 'vLLM’s own routes (rerank, score, pooling, classify, tokenize), proxied to a deployment of `model`' },
  { name: 'anthropic', description: 'Anthropic Messages API, served by vLLM' },
];

/**
 * Adds the proxied (front door) routes to the document Nest generated: their paths, schemas, tags and the
 * `x-api-key` scheme Anthropic clients send. Fails at boot if a name is taken, so nothing is silently replaced.
 */
export function addProxyRoutes(document: OpenAPIObject): OpenAPIObject {
  const components = (document.components ??= {});
  const schemas = (components.schemas ??= {});
  if (!schemas.ErrorResponse) throw new Error('openapi: the ErrorResponse schema is missing');
  for (const family of FAMILIES) {
    for (const [name, schema] of Object.entries(family.schemas)) {
      if (schemas[name]) throw new Error(`openapi: schema ${name} is defined twice`);
      schemas[name] = schema;
    }
    for (const [path, item] of Object.entries(family.paths)) {
      if (document.paths[path]) throw new Error(`openapi: path ${path} is defined twice`);
      document.paths[path] = item;
    }
  }
  components.securitySchemes = {
    ...components.securitySchemes,
    'x-api-key': { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Anthropic-style header (/v1/messages)' },
  };
  document.tags = [...(document.tags ?? []), ...TAGS];
  return document;
}
