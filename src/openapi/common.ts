import type { MediaTypeObject, OperationObject, ParameterObject, PathItemObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { SECURITY_SCHEMES } from '../common/public.decorator.js';

/**
 * The proxied routes are answered by the front door (src/server/front-door.ts, src/proxy/*), not by Nest
 * controllers, so their OpenAPI path items are written here, one file per family, in the style Nest
 * generates for GET /v1/models (tag, summary, security, `ErrorResponse` for errors).
 */
export interface RouteFamily {
  paths: Record<string, PathItemObject>;
  schemas: Record<string, SchemaObject>;
}

/** The README's example alias (infra/litellm.config.yaml): every example names it, so "Try it out" works there. */
export const MODEL = 'gemma-4-31b';

export type Schema = SchemaObject | ReferenceObject;

export const ref = (name: string): ReferenceObject => ({ $ref: `#/components/schemas/${name}` });

export const str = (description?: string, example?: string): SchemaObject => ({ type: 'string', description, example });
export const int = (description?: string): SchemaObject => ({ type: 'integer', description });
export const num = (description?: string): SchemaObject => ({ type: 'number', description });
export const bool = (description?: string): SchemaObject => ({ type: 'boolean', description });
export const arr = (items: Schema, description?: string): SchemaObject => ({ type: 'array', items, description });
/** A string that is always `value` (e.g. `object: "list"`). */
export const enumOf = (value: string): SchemaObject => ({ type: 'string', enum: [value] });
export const nullable = (schema: SchemaObject): SchemaObject => ({ ...schema, nullable: true });
/** A JSON object whose fields the proxy forwards untouched (tool definitions, vLLM extras). */
export const anyObject = (description?: string): SchemaObject => ({ type: 'object', additionalProperties: true, description });
export const obj = (properties: Record<string, Schema>, required: string[] = [], extra: Partial<SchemaObject> = {}): SchemaObject => ({
  type: 'object',
  required: required.length ? required : undefined,
  properties,
  ...extra,
});

/** The `model` field of every request body: a proxy alias, rewritten to the deployment's upstream id. */
export const MODEL_FIELD = str('A model alias of this proxy (GET /v1/models); the proxy sends the deployment’s own model id upstream', MODEL);

/** vLLM's `prompt` / `input`: text, texts, or token ids. */
export const PROMPT: SchemaObject = {
  oneOf: [str(), arr(str()), arr(int()), arr(arr(int()))],
  description: 'A string, an array of strings, an array of token ids or an array of arrays of token ids',
};

/** vLLM's UsageInfo (vllm/entrypoints/openai/engine/protocol.py). */
export const USAGE = obj(
  { prompt_tokens: int(), completion_tokens: nullable(int()), total_tokens: int(), prompt_tokens_details: nullable(anyObject('e.g. cached_tokens')) },
  ['prompt_tokens', 'total_tokens'],
);

/** The OpenAI-style list answer of embeddings, score, pooling and classify (vLLM's *Response classes). */
export const list = (item: SchemaObject): SchemaObject =>
  obj({ id: str(), object: enumOf('list'), created: int(), model: str('The deployment’s model id'), data: arr(item), usage: USAGE }, [
    'id',
    'object',
    'model',
    'data',
    'usage',
  ]);

/** The chat-like answers and stream chunks: {id, object, created, model, choices, usage}. */
export const choices = (object: SchemaObject, choice: SchemaObject, usage: SchemaObject, description?: string): SchemaObject =>
  obj(
    { id: str(), object, created: int(), model: str('The deployment’s model id'), choices: arr(choice), usage },
    ['id', 'object', 'created', 'model', 'choices'],
    {
      description,
    },
  );

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('ErrorResponse') } } });

/** The errors every proxied route can answer, all in the proxy's (OpenAI's) envelope. */
const ERRORS = {
  '400': errorResponse('Invalid body, unknown model alias ("Invalid model name passed in model=…"), or the backend refused the request'),
  '401': errorResponse('No key, an unknown, blocked or expired key, or a key that may not use this model'),
  '404': errorResponse('Not found at the backend (e.g. an unknown response id), passed through'),
  '429': errorResponse('Rate limit (rpm/tpm/parallel requests) or budget of the key, team or user reached; or the backend is overloaded'),
  '502': errorResponse('No deployment of the model could be reached or answered'),
};

export interface RouteDoc {
  /** Unique within the document; suffixed `[i]` for the alias paths, as Nest does for `['v1/models', 'models']`. */
  id: string;
  tag: 'openai' | 'vllm' | 'anthropic';
  summary: string;
  description?: string;
  /** JSON body; `examples` become Swagger's example picker (each must work as written). */
  json?: { schema: Schema; examples: Record<string, { summary: string; value: Record<string, unknown> }> };
  multipart?: Schema;
  parameters?: ParameterObject[];
  /**
   * The answer; `sse` is the JSON object each `data:` line of the stream carries, as OpenAI's own spec
   * documents streams (`description` says how the stream looks and ends).
   */
  ok: { json: Schema; description: string; sse?: { schema: Schema; description: string }; text?: string };
  /** Extra security schemes besides the proxy's three (e.g. `x-api-key` for Anthropic clients). */
  extraSecurity?: string[];
}

function operation(r: RouteDoc, id: string): OperationObject {
  const content: Record<string, MediaTypeObject> = { 'application/json': { schema: r.ok.json } };
  if (r.ok.sse) content['text/event-stream'] = { schema: r.ok.sse.schema };
  if (r.ok.text) content['text/plain'] = { schema: str(r.ok.text) };
  const body: Record<string, MediaTypeObject> | undefined = r.json
    ? { 'application/json': { schema: r.json.schema, examples: r.json.examples } }
    : r.multipart && { 'multipart/form-data': { schema: r.multipart } };
  return {
    operationId: id,
    tags: [r.tag],
    summary: r.summary,
    description: r.description,
    parameters: r.parameters ?? [],
    requestBody: body && { required: true, content: body },
    responses: {
      '200': { description: r.ok.sse ? `${r.ok.description} Streamed (text/event-stream): ${r.ok.sse.description}` : r.ok.description, content },
      ...ERRORS,
    },
    security: [...SECURITY_SCHEMES, ...(r.extraSecurity ?? [])].map((s) => ({ [s]: [] })),
  };
}

/** The path items of one route served at `paths` (LiteLLM's `/v1/x` and `/x` aliases). */
export function route(method: 'get' | 'post', paths: string[], r: RouteDoc): Record<string, PathItemObject> {
  return Object.fromEntries(paths.map((p, i) => [p, { [method]: operation(r, paths.length > 1 ? `${r.id}[${i}]` : r.id) }]));
}

/** The `/v1/x` and `/x` paths of a route LiteLLM serves both ways. */
export const v1AndRoot = (path: string): string[] => [`/v1${path}`, path];
