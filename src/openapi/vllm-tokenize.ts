import { anyObject, arr, bool, int, MODEL, MODEL_FIELD, nullable, obj, ref, route, type RouteFamily, str } from './common.js';

// vLLM's TokenizeRequest (completion or chat form), TokenizeResponse, DetokenizeRequest/Response
// (vllm/entrypoints/serve/tokenize/protocol.py). Both are served outside /v1; no tokens are billed.

const ROOT = 'vLLM serves it outside /v1: the proxy sends it to the deployment’s api_base without /v1. A spend row is booked with 0 tokens.';

const TOKENIZE_REQUEST = obj(
  {
    model: MODEL_FIELD,
    prompt: str('The text to tokenize (or give `messages`)'),
    messages: arr(anyObject('A chat message'), 'Instead of prompt: a conversation, rendered with the chat template'),
    add_special_tokens: bool('Add BOS etc. (vLLM’s default: true for prompt, false for messages)'),
    add_generation_prompt: bool('With messages'),
    return_token_strs: nullable(bool('Also return each token as text')),
  },
  ['model'],
  { additionalProperties: true, description: 'Any other field (chat_template, tools, ...) is forwarded untouched' },
);

const TOKENIZE = obj({ count: int(), max_model_len: int('The model’s context length'), tokens: arr(int()), token_strs: nullable(arr(str())) }, [
  'count',
  'max_model_len',
  'tokens',
]);

const DETOKENIZE_REQUEST = obj({ model: MODEL_FIELD, tokens: arr(int(), 'Token ids') }, ['model', 'tokens'], { additionalProperties: true });

const DETOKENIZE = obj({ prompt: str('The text') }, ['prompt']);

export const VLLM_TOKENIZE: RouteFamily = {
  schemas: { TokenizeRequest: TOKENIZE_REQUEST, TokenizeResponse: TOKENIZE, DetokenizeRequest: DETOKENIZE_REQUEST, DetokenizeResponse: DETOKENIZE },
  paths: {
    ...route('post', ['/tokenize'], {
      id: 'tokenize',
      tag: 'vllm',
      summary: 'Tokenize a prompt or a conversation with the model’s tokenizer (vLLM)',
      description: ROOT,
      json: {
        schema: ref('TokenizeRequest'),
        examples: {
          prompt: { summary: 'A prompt', value: { model: MODEL, prompt: 'Hello, world!' } },
          chat: { summary: 'A conversation', value: { model: MODEL, messages: [{ role: 'user', content: 'Hello, world!' }], add_generation_prompt: true } },
        },
      },
      ok: { json: ref('TokenizeResponse'), description: 'The token ids.' },
    }),
    ...route('post', ['/detokenize'], {
      id: 'detokenize',
      tag: 'vllm',
      summary: 'Turn token ids back into text (vLLM)',
      description: ROOT,
      json: { schema: ref('DetokenizeRequest'), examples: { tokens: { summary: 'Token ids', value: { model: MODEL, tokens: [9906, 11, 1917, 0] } } } },
      ok: { json: ref('DetokenizeResponse'), description: 'The text.' },
    }),
  },
};
