import type { SchemaObject } from '@nestjs/swagger';
import { anyObject, arr, bool, enumOf, int, list, MODEL, MODEL_FIELD, nullable, num, obj, PROMPT, ref, route, type RouteFamily, str } from './common.js';

// vLLM's own pooling-model routes. Shapes: RerankRequest/RerankResponse and the ScoreRequest variants
// (vllm/entrypoints/pooling/scoring/protocol.py), PoolingRequest/PoolingResponse
// (vllm/entrypoints/pooling/pooling/protocol.py), ClassificationRequest/ClassificationResponse
// (vllm/entrypoints/pooling/classify/protocol.py); the common fields from vllm/entrypoints/pooling/base/protocol.py.

const FORWARDED = 'Any other field (vLLM’s priority, mm_processor_kwargs, ...) is forwarded untouched';

/** PoolingBasicRequestMixin's fields every pooling route takes. */
const BASIC = {
  model: MODEL_FIELD,
  truncate_prompt_tokens: nullable(int('Keep only the last N prompt tokens (-1: the model’s maximum)')),
  use_activation: nullable(bool('Apply the pooler’s activation (vLLM’s default: true in most cases)')),
  user: nullable(str()),
};

const TEXTS: SchemaObject = { oneOf: [str(), arr(str())], description: 'A text or texts (vLLM also takes multimodal content parts)' };

const request = (properties: Record<string, SchemaObject>, required: string[], description: string) =>
  obj({ ...BASIC, ...properties }, ['model', ...required], { additionalProperties: true, description: `${description}. ${FORWARDED}` });

const RERANK_REQUEST = request(
  {
    query: { oneOf: [str(), anyObject('Multimodal: {"content":[…]}')] },
    documents: { oneOf: [arr(str()), anyObject('Multimodal: {"content":[…]}')] },
    top_n: int('Only the N most relevant (0: all)'),
  },
  ['query', 'documents'],
  'Jina/Cohere-style rerank',
);

const RERANK = obj(
  {
    id: str(),
    model: str('The deployment’s model id'),
    usage: obj({ prompt_tokens: int('Newer vLLM'), total_tokens: int() }, ['total_tokens']),
    results: arr(
      obj({ index: int('The document’s position in `documents`'), document: obj({ text: nullable(str()) }), relevance_score: num() }, [
        'index',
        'relevance_score',
      ]),
      'Most relevant first',
    ),
  },
  ['id', 'model', 'usage', 'results'],
);

const SCORE_REQUEST = request(
  {
    text_1: TEXTS,
    text_2: TEXTS,
    queries: TEXTS,
    documents: TEXTS,
  },
  [],
  'Scores each pair of text_1 × text_2 (newer vLLM also names them queries/documents, queries/items or data_1/data_2)',
);

const SCORE = list(obj({ index: int(), object: enumOf('score'), score: num() }, ['index', 'score']));

const POOLING_REQUEST = request(
  {
    input: PROMPT,
    messages: arr(anyObject('A chat message'), 'Instead of input: a conversation, rendered with the chat template'),
    task: nullable(str('embed, classify, token_embed, token_classify, ...')),
    encoding_format: { type: 'string', enum: ['float', 'base64', 'bytes'] },
    dimensions: nullable(int()),
    add_special_tokens: bool(),
  },
  [],
  'Raw pooler output of `input` (or `messages`)',
);

const POOLING = list(
  obj(
    {
      index: int(),
      object: enumOf('pooling'),
      data: { oneOf: [arr(arr(num())), arr(num()), str('base64')], description: 'The pooled output: a vector, a vector per token, or base64' },
    },
    ['index', 'data'],
  ),
);

const CLASSIFY_REQUEST = request(
  { input: PROMPT, messages: arr(anyObject('A chat message'), 'Instead of input: a conversation'), add_special_tokens: bool() },
  [],
  'Classifies each input (or the conversation)',
);

const CLASSIFY = list(
  obj({ index: int(), label: nullable(str('The most likely label')), probs: arr(num()), num_classes: int() }, ['index', 'probs', 'num_classes']),
);

const ROOT = 'vLLM serves it outside /v1: the proxy sends it to the deployment’s api_base without /v1.';

export const VLLM_POOLING: RouteFamily = {
  schemas: {
    RerankRequest: RERANK_REQUEST,
    RerankResponse: RERANK,
    ScoreRequest: SCORE_REQUEST,
    ScoreResponse: SCORE,
    PoolingRequest: POOLING_REQUEST,
    PoolingResponse: POOLING,
    ClassificationRequest: CLASSIFY_REQUEST,
    ClassificationResponse: CLASSIFY,
  },
  paths: {
    ...route('post', ['/v1/rerank', '/rerank', '/v2/rerank'], {
      id: 'rerank',
      tag: 'vllm',
      summary: 'Rerank documents by relevance to a query (vLLM, Jina/Cohere shape)',
      description:
        'The usage billed is `usage.prompt_tokens`, else `usage.total_tokens`. /v1/rerank goes to {api_base}/rerank; /rerank and /v2/rerank (Cohere v2) to vLLM’s own paths outside /v1.',
      json: {
        schema: ref('RerankRequest'),
        examples: {
          rerank: {
            summary: 'Two documents',
            value: { model: MODEL, query: 'What is the capital of France?', documents: ['Paris is the capital of France.', 'Berlin is in Germany.'], top_n: 2 },
          },
        },
      },
      ok: { json: ref('RerankResponse'), description: 'The documents with their scores, most relevant first.' },
    }),
    ...route('post', ['/v1/score', '/score'], {
      id: 'score',
      tag: 'vllm',
      summary: 'Score text pairs (vLLM, cross-encoder or embedding similarity)',
      description: `/v1/score goes to {api_base}/score; /score: ${ROOT}`,
      json: {
        schema: ref('ScoreRequest'),
        examples: {
          pairs: {
            summary: 'One query, two texts',
            value: { model: MODEL, text_1: 'What is the capital of France?', text_2: ['Paris is the capital of France.', 'Berlin is in Germany.'] },
          },
        },
      },
      ok: { json: ref('ScoreResponse'), description: 'One score per pair.' },
    }),
    ...route('post', ['/pooling'], {
      id: 'pooling',
      tag: 'vllm',
      summary: 'Raw pooler output (vLLM)',
      description: ROOT,
      json: { schema: ref('PoolingRequest'), examples: { text: { summary: 'One text', value: { model: MODEL, input: 'The food was delicious.' } } } },
      ok: { json: ref('PoolingResponse'), description: 'One pooled output per input.' },
    }),
    ...route('post', ['/classify'], {
      id: 'classify',
      tag: 'vllm',
      summary: 'Classify texts (vLLM, sequence classification models)',
      description: ROOT,
      json: {
        schema: ref('ClassificationRequest'),
        examples: { texts: { summary: 'Two texts', value: { model: MODEL, input: ['Loved it, would buy again.', 'Broke after one day.'] } } },
      },
      ok: { json: ref('ClassificationResponse'), description: 'The label and class probabilities of each input.' },
    }),
  },
};
