import type { ParameterObject } from '@nestjs/swagger';
import { anyObject, arr, bool, enumOf, int, MODEL, MODEL_FIELD, nullable, num, obj, ref, route, type RouteFamily, str, v1AndRoot } from './common.js';

// Shapes: OpenAI's Responses API reference and vLLM's ResponsesRequest/ResponsesResponse and stream events
// (vllm/entrypoints/openai/responses/protocol.py, streaming_events.py; GET takes `stream` and
// `starting_after`: vllm/entrypoints/openai/responses/api_router.py).

const REQUEST = obj(
  {
    model: MODEL_FIELD,
    input: { oneOf: [str(), arr(anyObject('An input item: {"role":"user","content":…}, a function_call_output, ...'))] },
    instructions: nullable(str('A system message for this turn')),
    previous_response_id: nullable(str('Continue from this response: the proxy sends it to the deployment that created it')),
    max_output_tokens: nullable(int()),
    temperature: nullable(num()),
    top_p: nullable(num()),
    tools: arr(anyObject()),
    tool_choice: { oneOf: [str(), anyObject()] },
    parallel_tool_calls: nullable(bool()),
    reasoning: nullable(anyObject('{"effort":"low"|"medium"|"high"}')),
    text: nullable(anyObject('{"format":{"type":"text"|"json_schema",…}}')),
    store: nullable(bool('Keep the response so GET /v1/responses/{id} can read it (vLLM: when its response store is enabled)')),
    background: nullable(bool('Run in the background; poll with GET, stop with cancel')),
    stream: nullable(bool('true: answer as server-sent events')),
    metadata: nullable({ type: 'object', additionalProperties: { type: 'string' } }),
    user: nullable(str()),
  },
  ['model', 'input'],
  { additionalProperties: true, description: 'Any other field is forwarded untouched' },
);

const OUTPUT_ITEM = obj(
  {
    type: str('message, reasoning, function_call, ...'),
    id: str(),
    status: str(),
    role: str(),
    content: arr(obj({ type: str('output_text, reasoning_text, ...'), text: str(), annotations: arr(anyObject()) }, ['type'])),
    name: str('function_call: the function'),
    arguments: str('function_call: its JSON arguments'),
    call_id: str(),
  },
  ['type'],
);

const RESPONSE_USAGE = obj(
  {
    input_tokens: int(),
    input_tokens_details: obj({ cached_tokens: int() }),
    output_tokens: int(),
    output_tokens_details: obj({ reasoning_tokens: int() }),
    total_tokens: int(),
  },
  ['input_tokens', 'output_tokens', 'total_tokens'],
);

const RESPONSE = obj(
  {
    id: str('resp_…', 'resp_0123456789abcdef'),
    object: enumOf('response'),
    created_at: int(),
    model: str('The deployment’s model id'),
    status: { type: 'string', enum: ['completed', 'failed', 'in_progress', 'cancelled', 'queued', 'incomplete'] },
    output: arr(OUTPUT_ITEM),
    usage: nullable(RESPONSE_USAGE),
    error: nullable(anyObject()),
    incomplete_details: nullable(anyObject()),
    instructions: nullable({ oneOf: [str(), arr(anyObject())] }),
    max_output_tokens: nullable(int()),
    previous_response_id: nullable(str()),
    temperature: nullable(num()),
    top_p: nullable(num()),
    tools: arr(anyObject()),
    tool_choice: { oneOf: [str(), anyObject()] },
    parallel_tool_calls: bool(),
  },
  ['id', 'object', 'created_at', 'model', 'status', 'output'],
);

const EVENT = obj(
  {
    type: str('response.created, response.in_progress, response.output_item.added, response.output_text.delta, …, response.completed'),
    sequence_number: int(),
    response: ref('Response'),
    item: OUTPUT_ITEM,
    item_id: str(),
    output_index: int(),
    content_index: int(),
    delta: str('response.*.delta: the new text'),
    text: str('response.*.done: the whole text'),
  },
  ['type'],
  { description: 'One stream event; `response.created`, `.in_progress`, `.completed`, `.incomplete` and `.failed` carry the whole response' },
);

const EVENTS =
  'each event is `event: <type>` then `data: {event}`; the last is `response.completed` (or `response.incomplete` / `response.failed`), whose `response.usage` is billed.';

const ID: ParameterObject = {
  name: 'response_id',
  in: 'path',
  required: true,
  schema: str(undefined, 'resp_0123456789abcdef'),
  description: 'A response id (`resp_…`); the proxy asks the deployment that created it',
};
const GET_PARAMS: ParameterObject[] = [
  ID,
  { name: 'stream', in: 'query', required: false, schema: bool(), description: 'true: replay the events (background responses)' },
  { name: 'starting_after', in: 'query', required: false, schema: int(), description: 'With stream: the sequence number to resume after' },
];

const hello = 'Say hello in five words.';

export const OPENAI_RESPONSES: RouteFamily = {
  schemas: { ResponseRequest: REQUEST, Response: RESPONSE, ResponseStreamEvent: EVENT },
  paths: {
    ...route('post', v1AndRoot('/responses'), {
      id: 'createResponse',
      tag: 'openai',
      summary: 'Create a response (OpenAI Responses API), served by a deployment of `model`',
      description: 'The proxy remembers which deployment created each response: `previous_response_id`, GET and cancel go there.',
      json: {
        schema: ref('ResponseRequest'),
        examples: {
          text: { summary: 'A short answer', value: { model: MODEL, input: hello, max_output_tokens: 16 } },
          stream: { summary: 'Streamed events', value: { model: MODEL, input: hello, max_output_tokens: 16, stream: true } },
        },
      },
      ok: { json: ref('Response'), description: 'The response.', sse: { schema: ref('ResponseStreamEvent'), description: EVENTS } },
    }),
    ...route('get', v1AndRoot('/responses/{response_id}'), {
      id: 'getResponse',
      tag: 'openai',
      summary: 'Read a stored response',
      description:
        'Sent to the deployment that created it (or, when this instance does not know the id, to the first deployment that knows it); the query string is passed on.',
      parameters: GET_PARAMS,
      ok: { json: ref('Response'), description: 'The response.', sse: { schema: ref('ResponseStreamEvent'), description: EVENTS } },
    }),
    ...route('post', v1AndRoot('/responses/{response_id}/cancel'), {
      id: 'cancelResponse',
      tag: 'openai',
      summary: 'Cancel a background response',
      description:
        'Sent to the deployment that created it. Only a `background` response still queued or in progress can be cancelled: vLLM answers 400 otherwise.',
      parameters: [ID],
      ok: { json: ref('Response'), description: 'The response, `status: "cancelled"`.' },
    }),
  },
};
