import {
  anyObject,
  arr,
  bool,
  choices,
  enumOf,
  int,
  list,
  MODEL,
  MODEL_FIELD,
  nullable,
  num,
  obj,
  PROMPT,
  ref,
  route,
  type RouteFamily,
  str,
  USAGE,
  v1AndRoot,
} from './common.js';

// Shapes: OpenAI's API reference and vLLM's ChatCompletionRequest/Response
// (vllm/entrypoints/openai/chat_completion/protocol.py), CompletionRequest/Response
// (vllm/entrypoints/openai/completion/protocol.py) and EmbeddingRequest/Response
// (vllm/entrypoints/pooling/embed/protocol.py). Only the common fields are listed: the proxy forwards
// every field untouched, vLLM's extras (top_k, min_p, repetition_penalty, guided decoding...) included.

const FORWARDED = 'Any other field (e.g. vLLM’s top_k, min_p, repetition_penalty, chat_template_kwargs) is forwarded untouched';

const SAMPLING = {
  max_tokens: nullable(int('Most tokens to generate')),
  temperature: nullable(num()),
  top_p: nullable(num()),
  n: nullable(int()),
  stop: { oneOf: [str(), arr(str())], nullable: true },
  seed: nullable(int()),
  presence_penalty: nullable(num()),
  frequency_penalty: nullable(num()),
  stream: nullable(bool('true: answer as server-sent events')),
  stream_options: nullable(obj({ include_usage: bool('A last chunk carries the usage (the proxy bills it either way)') })),
  user: nullable(str()),
};

const MESSAGE = obj(
  {
    role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
    content: { oneOf: [str(), arr(anyObject('A content part: {"type":"text","text":…}, {"type":"image_url",…}'))], nullable: true },
    name: str(),
    tool_calls: arr(anyObject()),
    tool_call_id: str(),
  },
  ['role'],
);

const CHAT_REQUEST = obj(
  {
    model: MODEL_FIELD,
    messages: arr(MESSAGE, 'The conversation; must be an array'),
    ...SAMPLING,
    max_completion_tokens: nullable(int('Wins over max_tokens')),
    tools: nullable(arr(anyObject('{"type":"function","function":{name, description, parameters}}'))),
    tool_choice: { oneOf: [str(), anyObject()], nullable: true },
    response_format: nullable(anyObject('{"type":"json_object"} or {"type":"json_schema",…}')),
    logprobs: nullable(bool()),
    top_logprobs: nullable(int()),
  },
  ['model', 'messages'],
  { additionalProperties: true, description: FORWARDED },
);

const ASSISTANT = obj(
  { role: str(), content: nullable(str()), reasoning_content: nullable(str('vLLM, with a reasoning parser')), tool_calls: nullable(arr(anyObject())) },
  ['role'],
);

const FINISH = nullable(str('stop, length, tool_calls, ...'));

const CHAT = choices(
  enumOf('chat.completion'),
  obj({ index: int(), message: ASSISTANT, finish_reason: FINISH, logprobs: nullable(anyObject()) }, ['index', 'message']),
  USAGE,
);

const CHAT_CHUNK = choices(
  enumOf('chat.completion.chunk'),
  obj({ index: int(), delta: obj({ role: str(), content: nullable(str()), tool_calls: arr(anyObject()) }), finish_reason: FINISH }, ['index']),
  nullable(USAGE),
);

const COMPLETION_REQUEST = obj(
  {
    model: MODEL_FIELD,
    prompt: PROMPT,
    ...SAMPLING,
    echo: nullable(bool()),
    logprobs: nullable(int()),
    suffix: nullable(str()),
  },
  ['model', 'prompt'],
  { additionalProperties: true, description: FORWARDED },
);

const TEXT_CHOICE = obj({ index: int(), text: str(), finish_reason: FINISH, logprobs: nullable(anyObject()) }, ['index', 'text']);
const completion = (description?: string) => choices(enumOf('text_completion'), TEXT_CHOICE, nullable(USAGE), description);

const EMBEDDING_REQUEST = obj(
  {
    model: MODEL_FIELD,
    input: PROMPT,
    encoding_format: { type: 'string', enum: ['float', 'base64'] },
    dimensions: nullable(int()),
    user: nullable(str()),
  },
  ['model', 'input'],
  { additionalProperties: true, description: FORWARDED },
);

const EMBEDDINGS = list(
  obj({ index: int(), object: enumOf('embedding'), embedding: { oneOf: [arr(num()), str('base64')] } }, ['index', 'object', 'embedding']),
);

const hello = [{ role: 'user', content: 'Say hello in five words.' }];
const CHUNKS = 'one `data: {chunk}` per delta, the usage in the last chunk when `stream_options.include_usage` is set, then `data: [DONE]`.';

export const OPENAI_CHAT: RouteFamily = {
  schemas: {
    ChatCompletionRequest: CHAT_REQUEST,
    ChatCompletion: CHAT,
    ChatCompletionChunk: CHAT_CHUNK,
    CompletionRequest: COMPLETION_REQUEST,
    Completion: completion(),
    CompletionChunk: completion('One streamed chunk: `choices[].text` is the new text'),
    EmbeddingRequest: EMBEDDING_REQUEST,
    EmbeddingList: EMBEDDINGS,
    Usage: USAGE,
  },
  paths: {
    ...route('post', v1AndRoot('/chat/completions'), {
      id: 'chatCompletions',
      tag: 'openai',
      summary: 'Chat completion (OpenAI shape), served by a deployment of `model`',
      json: {
        schema: ref('ChatCompletionRequest'),
        examples: {
          chat: { summary: 'A short answer', value: { model: MODEL, messages: hello, max_tokens: 16 } },
          stream: {
            summary: 'Streamed, with usage',
            value: { model: MODEL, messages: hello, max_tokens: 16, stream: true, stream_options: { include_usage: true } },
          },
        },
      },
      ok: { json: ref('ChatCompletion'), description: 'The completion.', sse: { schema: ref('ChatCompletionChunk'), description: CHUNKS } },
    }),
    ...route('post', v1AndRoot('/completions'), {
      id: 'completions',
      tag: 'openai',
      summary: 'Text completion (OpenAI legacy shape)',
      json: {
        schema: ref('CompletionRequest'),
        examples: {
          text: { summary: 'Continue a prompt', value: { model: MODEL, prompt: 'Once upon a time', max_tokens: 16 } },
          stream: { summary: 'Streamed', value: { model: MODEL, prompt: 'Once upon a time', max_tokens: 16, stream: true } },
        },
      },
      ok: { json: ref('Completion'), description: 'The completion.', sse: { schema: ref('CompletionChunk'), description: CHUNKS } },
    }),
    ...route('post', v1AndRoot('/embeddings'), {
      id: 'embeddings',
      tag: 'openai',
      summary: 'Embeddings (OpenAI shape)',
      json: {
        schema: ref('EmbeddingRequest'),
        examples: { texts: { summary: 'Two texts', value: { model: MODEL, input: ['The food was delicious.', 'The service was slow.'] } } },
      },
      ok: { json: ref('EmbeddingList'), description: 'One vector per input, in input order.' },
    }),
  },
};
