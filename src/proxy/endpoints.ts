import type { IncomingMessage } from 'node:http';

/** One OpenAI endpoint family served by the /v1 fast path. */
export interface Endpoint {
  /** Path after the deployment's api_base, e.g. `/chat/completions`. */
  upstreamPath: string;
  /** LiteLLM's `call_type` for the spend row. */
  callType: string;
  streamable: boolean;
  /** A body field that must be an array, checked before forwarding (its message says how it looks). */
  listField?: { name: string; example: string };
}

const CHAT: Endpoint = {
  upstreamPath: '/chat/completions',
  callType: 'acompletion',
  streamable: true,
  listField: { name: 'messages', example: '[{"role": "user", "content": "hi"}]' },
};
const TEXT: Endpoint = { upstreamPath: '/completions', callType: 'atext_completion', streamable: true };
const EMBED: Endpoint = { upstreamPath: '/embeddings', callType: 'aembedding', streamable: false };

/** The fast path's routes: exact, case-sensitive paths (with and without `/v1`, as LiteLLM serves them). */
const ENDPOINTS = new Map<string, Endpoint>([
  ['/v1/chat/completions', CHAT],
  ['/chat/completions', CHAT],
  ['/v1/completions', TEXT],
  ['/completions', TEXT],
  ['/v1/embeddings', EMBED],
  ['/embeddings', EMBED],
]);

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The endpoint this request is for, when the fast path serves it. */
export function matchEndpoint(req: IncomingMessage): Endpoint | undefined {
  return req.method === 'POST' ? ENDPOINTS.get(pathOf(req.url)) : undefined;
}
