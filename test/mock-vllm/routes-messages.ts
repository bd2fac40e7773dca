// The Anthropic Messages API as vLLM serves it: POST /v1/messages, JSON or an `event:` SSE stream.
//
// Fidelity notes (checked against vllm-project/vllm: vllm/entrypoints/anthropic/{api_router,serving,
// protocol}.py and their newer home vllm/frontend/entrypoints/anthropic/):
// - vLLM turns the request into a chat completion (AnthropicServingMessages extends OpenAIServingChat),
//   so the message id is the chat id, `chatcmpl-{X-Request-Id or random}` — not Anthropic's `msg_…`
//   (`msg_…` is only a fallback for an empty id in AnthropicMessagesResponse.model_post_init).
// - Non-stream (model_dump(exclude_none=True)): {id, type:"message", role:"assistant",
//   content:[{type:"text", text}], model, stop_reason, usage:{input_tokens, output_tokens}};
//   stop_reason maps finish_reason stop → end_turn, length → max_tokens.
// - Stream (chat stream with include_usage + continuous_usage_stats, converted): message_start
//   (message with usage {input_tokens, output_tokens: 0}), content_block_start (text ""),
//   content_block_delta (text_delta) per token, content_block_stop, message_delta ({stop_reason} and
//   usage {input_tokens, output_tokens}), message_stop. Newer vLLM sends no `data: [DONE]` after it.
// - Errors from the serving code are translated (translate_error_response) to Anthropic's shape
//   {"type":"error","error":{"type": <vLLM's type, e.g. NotFoundError>, "message"}} with the same status.
//   Request validation (a missing `messages` or `max_tokens`) fails before that, in FastAPI, with
//   vLLM's usual OpenAI-shaped 400.
// - `max_tokens` is required (Anthropic). The mock's natural answer is DEFAULT_COMPLETION_TOKENS
//   tokens: fewer when max_tokens is lower (stop_reason max_tokens), else end_turn.

import type { ServerResponse } from 'node:http';
import { type Ctx, contextLengthError, countChatTokens, DEFAULT_COMPLETION_TOKENS, HttpError, TOKEN, invalidRequest, type Steering } from './mock-vllm.js';
import { type NonStreamAnswer, sseEvent, writeEventStream } from './sse-events.js';

export interface MessagesOptions {
  model: string;
  maxModelLen: number | undefined;
}

/** vLLM's translate_error_response: its ErrorResponse re-shaped for Anthropic clients. */
export function anthropicError(status: number, type: string, message: string): HttpError {
  return new HttpError(status, JSON.stringify({ type: 'error', error: { type, message } }));
}

function promptTokens(body: Record<string, unknown>, messages: unknown[]): number {
  const system = body.system;
  return Math.max(1, countChatTokens(system === undefined || system === null ? messages : [{ content: system }, ...messages]));
}

/** POST /v1/messages, after the mock's common checks (auth, faults, load); checks the model itself. */
export async function createMessage(
  opts: MessagesOptions,
  body: Record<string, unknown>,
  res: ServerResponse,
  ctx: Ctx,
  s: Steering,
  baseId: string,
  answer: NonStreamAnswer,
): Promise<void> {
  const messages = body.messages;
  if (messages === undefined) throw invalidRequest('Field required: messages');
  if (!Array.isArray(messages)) throw invalidRequest('Input should be a valid list: messages');
  const max = body.max_tokens;
  if (max === undefined || max === null) throw invalidRequest('Field required: max_tokens');
  if (typeof max !== 'number' || !Number.isInteger(max)) throw invalidRequest('Input should be a valid integer: max_tokens');
  if (max <= 0) throw invalidRequest('Value error, max_tokens must be positive');
  if (body.model !== opts.model) throw anthropicError(404, 'NotFoundError', `The model \`${String(body.model)}\` does not exist.`);
  const prompt = promptTokens(body, messages);
  if (opts.maxModelLen !== undefined) {
    const tooLong = contextLengthError(opts.maxModelLen, prompt, max);
    if (tooLong) throw anthropicError(400, 'BadRequestError', (JSON.parse(tooLong.body) as { error: { message: string } }).error.message);
  }
  const n = Math.min(max, DEFAULT_COMPLETION_TOKENS);
  const stopReason = n < max ? 'end_turn' : 'max_tokens';
  const id = `chatcmpl-${baseId}`;
  const model = opts.model;

  if (body.stream !== true) {
    await answer(res, ctx, s, n, () =>
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: TOKEN.repeat(n) }],
        model,
        stop_reason: stopReason,
        usage: { input_tokens: prompt, output_tokens: n },
      }),
    );
    return;
  }
  const delta = sseEvent('content_block_delta', { type: 'content_block_delta', delta: { type: 'text_delta', text: TOKEN }, index: 0 });
  const start =
    sseEvent('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        content: [],
        model,
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: prompt, output_tokens: 0 },
      },
    }) + sseEvent('content_block_start', { type: 'content_block_start', content_block: { type: 'text', text: '' }, index: 0 });
  await writeEventStream(res, ctx, s, n, {
    token: (k) => (k === 1 ? start + delta : delta),
    tail: () =>
      sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }) +
      sseEvent('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason }, usage: { input_tokens: prompt, output_tokens: n } }) +
      sseEvent('message_stop', { type: 'message_stop' }),
  });
}
