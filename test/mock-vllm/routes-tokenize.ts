// vLLM's /tokenize and /detokenize (vllm/entrypoints/serve/tokenize/api_router.py: POST /tokenize and
// /detokenize at the root only; older releases served them under /v1). Shapes from
// vllm/entrypoints/serve/tokenize/protocol.py:
//   TokenizeCompletionRequest {prompt, add_special_tokens = true, return_token_strs = false}
//   TokenizeChatRequest {messages, add_generation_prompt = true, add_special_tokens = false, ...}
//   TokenizeResponse {count, max_model_len, tokens, token_strs: list | null}
//   DetokenizeRequest {tokens}  DetokenizeResponse {prompt}
// The mock's tokenizer: one token per whitespace-separated word, ids from a vocabulary shared by every mock
// in the process (so detokenize inverts tokenize), BOS `<s>` = id 1 when special tokens are added.

import { invalidRequest, isRecord } from './mock-vllm.js';
import { type JsonAnswer, type Route, jsonRoute, required } from './route-kit.js';

const BOS = { id: 1, str: '<s>' };
const FIRST_WORD_ID = 1000;
const ids = new Map<string, number>();
const strs = new Map<number, string>([[BOS.id, BOS.str]]);

function idOf(word: string): number {
  let id = ids.get(word);
  if (id === undefined) {
    id = FIRST_WORD_ID + ids.size;
    ids.set(word, id);
    strs.set(id, word);
  }
  return id;
}

function chatText(messages: unknown[]): string {
  const parts: string[] = [];
  for (const m of messages) {
    if (!isRecord(m)) continue;
    if (typeof m.content === 'string') parts.push(m.content);
    else if (Array.isArray(m.content)) for (const p of m.content) if (isRecord(p) && typeof p.text === 'string') parts.push(p.text);
  }
  return parts.join(' ');
}

const tokenize: JsonAnswer = (body, env) => {
  let text: string;
  let special: boolean;
  if (body.messages !== undefined) {
    if (!Array.isArray(body.messages)) throw invalidRequest('Input should be a valid list: messages');
    text = chatText(body.messages);
    special = body.add_special_tokens === true;
  } else {
    const prompt = required(body, 'prompt');
    if (typeof prompt !== 'string') throw invalidRequest('Input should be a valid string: prompt');
    text = prompt;
    special = body.add_special_tokens !== false;
  }
  const words = text.split(/\s+/).filter(Boolean);
  const tokens = [...(special ? [BOS.id] : []), ...words.map(idOf)];
  const tokenStrs = body.return_token_strs === true ? [...(special ? [BOS.str] : []), ...words] : null;
  return { count: tokens.length, max_model_len: env.maxModelLen, tokens, token_strs: tokenStrs };
};

const detokenize: JsonAnswer = (body) => {
  const tokens = required(body, 'tokens');
  if (!Array.isArray(tokens) || !tokens.every((t) => Number.isInteger(t))) throw invalidRequest('Input should be a valid list of integers: tokens');
  const pieces = (tokens as number[]).filter((t) => t !== BOS.id).map((t) => strs.get(t) ?? '<unk>');
  return { prompt: pieces.join(' ') };
};

export const TOKENIZE_ROUTES: Readonly<Record<string, Route>> = {
  '/tokenize': jsonRoute(tokenize),
  '/detokenize': jsonRoute(detokenize),
};
