// SSE with `event:` lines, as vLLM writes its Responses and Anthropic Messages streams (the chat and
// completions streams are `data:`-only and end with `data: [DONE]`; these do not).
// vLLM: `_convert_stream_to_sse_events` in vllm/entrypoints/openai/responses/api_router.py and
// `wrap_data_with_event` in vllm/entrypoints/anthropic/serving.py, both `event: {type}\ndata: {json}\n\n`.

import type { ServerResponse } from 'node:http';
import { type Ctx, drain, dropAfterFlush, SSE_TYPE, sleep, type Steering } from './mock-vllm.js';

/** One SSE event: `event: <type>` then the JSON on one `data:` line. */
export function sseEvent(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface EventStream {
  /** Written with the headers, before the TTFT (vLLM's response.created/in_progress). */
  head?: () => string;
  /** The events for the k-th generated token (1-based), paced by interTokenMs. */
  token: (k: number) => string;
  /** After the last token; the stream then ends. */
  tail: () => string;
}

/**
 * Writes an event stream: headers and `head` at once, then after the TTFT the n token events, then
 * `tail`. The 'drop' fault cuts the connection after two tokens. True if the stream was written to its end.
 */
export async function writeEventStream(res: ServerResponse, ctx: Ctx, s: Steering, n: number, events: EventStream): Promise<boolean> {
  res.writeHead(200, { 'content-type': SSE_TYPE, 'cache-control': 'no-cache' });
  if (events.head) res.write(events.head());
  else res.flushHeaders();
  if (s.ttftMs > 0) {
    await sleep(ctx, s.ttftMs);
    if (ctx.closed) return false;
  }
  const dropAt = s.fault === 'drop' ? Math.min(2, n) : -1;
  for (let i = 0; i < n; i++) {
    if (i === dropAt) {
      dropAfterFlush(res, ctx);
      return false;
    }
    if (i > 0 && s.interTokenMs > 0) {
      await sleep(ctx, s.interTokenMs);
      if (ctx.closed) return false;
    }
    if (!res.write(events.token(i + 1))) {
      await drain(res, ctx);
      if (ctx.closed) return false;
    }
  }
  if (dropAt >= 0) {
    dropAfterFlush(res, ctx);
    return false;
  }
  res.end(events.tail());
  return true;
}

/** The same wait-then-answer as the mock's chat; `body` is built only when the answer is sent. */
export type NonStreamAnswer = (res: ServerResponse, ctx: Ctx, s: Steering, n: number, body: () => string) => Promise<void>;
