import type { ParameterObject } from '@nestjs/swagger';
import { anyObject, arr, bool, enumOf, int, MODEL, MODEL_FIELD, nullable, num, obj, ref, route, type RouteFamily, str } from './common.js';

// Anthropic's Messages API as vLLM serves it: AnthropicMessagesRequest/Response and the stream events
// (vllm/entrypoints/anthropic/protocol.py).

const BLOCK = obj(
  {
    type: str('text, image, tool_use, tool_result, thinking, ...'),
    text: str(),
    id: str('tool_use'),
    name: str('tool_use'),
    input: anyObject('tool_use: the arguments'),
    thinking: str('thinking'),
  },
  ['type'],
);

const REQUEST = obj(
  {
    model: MODEL_FIELD,
    max_tokens: int('Most tokens to generate (required by Anthropic’s API)'),
    messages: arr(
      obj({ role: { type: 'string', enum: ['user', 'assistant'] }, content: { oneOf: [str(), arr(BLOCK)] } }, ['role', 'content']),
      'The conversation; must be an array',
    ),
    system: { oneOf: [str(), arr(BLOCK)], description: 'The system prompt' },
    stream: nullable(bool('true: answer as Anthropic server-sent events')),
    temperature: nullable(num()),
    top_p: nullable(num()),
    top_k: nullable(int()),
    stop_sequences: nullable(arr(str())),
    tools: nullable(arr(anyObject('{name, description, input_schema}'))),
    tool_choice: nullable(anyObject('{"type":"auto"|"any"|"tool"|"none",…}')),
    thinking: nullable(anyObject('{"type":"enabled","budget_tokens":N}')),
    metadata: nullable(anyObject()),
  },
  ['model', 'max_tokens', 'messages'],
  { additionalProperties: true, description: 'Any other field is forwarded untouched' },
);

const USAGE = obj({ input_tokens: int(), output_tokens: int(), cache_creation_input_tokens: nullable(int()), cache_read_input_tokens: nullable(int()) }, [
  'input_tokens',
  'output_tokens',
]);

const MESSAGE = obj(
  {
    id: str(),
    type: enumOf('message'),
    role: enumOf('assistant'),
    model: str('The deployment’s model id'),
    content: arr(BLOCK),
    stop_reason: nullable(str('end_turn, max_tokens, stop_sequence, tool_use')),
    stop_sequence: nullable(str()),
    usage: USAGE,
  },
  ['id', 'type', 'role', 'content', 'usage'],
);

const EVENT = obj(
  {
    type: str('message_start, content_block_start, content_block_delta, content_block_stop, message_delta, message_stop, ping, error'),
    message: ref('AnthropicMessage'),
    index: int(),
    content_block: BLOCK,
    delta: anyObject('content_block_delta: {"type":"text_delta","text":…}; message_delta: {stop_reason, stop_sequence}'),
    usage: obj({ input_tokens: nullable(int()), output_tokens: int() }),
    error: anyObject(),
  },
  ['type'],
);

const EVENTS =
  'each event is `event: <type>` then `data: {event}`; billed: `message_start.message.usage.input_tokens` and the last `message_delta.usage.output_tokens`.';

const VERSION: ParameterObject = {
  name: 'anthropic-version',
  in: 'header',
  required: false,
  schema: str(undefined, '2023-06-01'),
  description: 'Sent by Anthropic SDKs; forwarded',
};

export const ANTHROPIC_MESSAGES: RouteFamily = {
  schemas: { AnthropicMessagesRequest: REQUEST, AnthropicMessage: MESSAGE, AnthropicStreamEvent: EVENT },
  paths: route('post', ['/v1/messages'], {
    id: 'createMessage',
    tag: 'anthropic',
    summary: 'Create a message (Anthropic Messages API), served by vLLM',
    description: 'Anthropic clients send the key as `x-api-key`; the proxy also takes its other headers.',
    parameters: [VERSION],
    json: {
      schema: ref('AnthropicMessagesRequest'),
      examples: {
        message: { summary: 'A short answer', value: { model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Say hello in five words.' }] } },
        stream: {
          summary: 'Streamed events',
          value: { model: MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Say hello in five words.' }], stream: true },
        },
      },
    },
    ok: { json: ref('AnthropicMessage'), description: 'The message.', sse: { schema: ref('AnthropicStreamEvent'), description: EVENTS } },
    extraSecurity: ['x-api-key'],
  }),
};
