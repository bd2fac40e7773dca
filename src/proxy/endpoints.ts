import type { IncomingMessage } from 'node:http';

/** How an endpoint's request body is read. */
export type BodyKind =
  /** A JSON object with a `model`, parsed and checked (the proxy rewrites `model`). */
  | 'json'
  /** multipart/form-data with a `model` field, streamed upstream as it arrives (audio). */
  | 'multipart'
  /** No body (GET, cancel): the model comes from the deployment that holds the object. */
  | 'none';

/** How an endpoint's SSE stream tells its usage and its end. */
export interface StreamFormat {
  /** OpenAI chunks: the proxy asks for usage on every chunk and takes out what the client did not ask for. */
  injectUsage: boolean;
  /** The stream ended properly once an event holding one of these was relayed; default: `data: [DONE]`. */
  endMarks?: readonly Buffer[];
  /** Usage arrives in parts (Anthropic: input in message_start, output in message_delta): merge them. */
  mergeUsage?: boolean;
}

/** One endpoint family served by the /v1 fast path: a row of the table below. */
export interface Endpoint {
  method: 'GET' | 'POST';
  /**
   * Upstream path: after the deployment's api_base (`base: 'v1'`), or after its server root, the api_base
   * without its trailing `/v1` (`base: 'root'`: vLLM serves /tokenize, /pooling, /rerank… there).
   * `{id}` is the response id taken from the client's path.
   */
  upstreamPath: string;
  base: 'v1' | 'root';
  /** LiteLLM's `call_type` for the spend row. */
  callType: string;
  body: BodyKind;
  /** Set when `stream: true` (JSON) or `stream=true` (form) gives an SSE answer. */
  stream?: StreamFormat;
  /** It generates output tokens (its budget reservation counts the output it may write). */
  generates: boolean;
  /** A body field that must be an array, checked before forwarding (its message says how it looks). */
  listField?: { name: string; example: string };
  /** Addressed by a response id: sent to the deployment that created it (vLLM keeps responses there). */
  byResponseId?: boolean;
  /** Not billed: its answer's usage, if any, is not this request's (a stored response's, a tokenizer count). */
  unbilled?: boolean;
  /** Its answer creates a response id that later requests address (POST /v1/responses). */
  createsResponse?: boolean;
}

const OPENAI_STREAM: StreamFormat = { injectUsage: true };
/** vLLM's transcription chunks end with [DONE]; usage only when the form asked for it (not rewritten). */
const AUDIO_STREAM: StreamFormat = { injectUsage: false };
const RESPONSES_STREAM: StreamFormat = {
  injectUsage: false,
  endMarks: ['"type":"response.completed"', '"type":"response.incomplete"', '"type":"response.failed"'].map((m) => Buffer.from(m)),
};
const MESSAGES_STREAM: StreamFormat = { injectUsage: false, endMarks: [Buffer.from('"type":"message_stop"')], mergeUsage: true };

type Row = Omit<Endpoint, 'method' | 'base' | 'body' | 'generates'> & Partial<Pick<Endpoint, 'method' | 'base' | 'body' | 'generates'>>;

function row(r: Row): Endpoint {
  return { method: 'POST', base: 'v1', body: 'json', generates: false, ...r };
}

/** Chat's and the Messages API's list of turns. */
const MESSAGES_FIELD = { name: 'messages', example: '[{"role": "user", "content": "hi"}]' };

const CHAT = row({
  upstreamPath: '/chat/completions',
  callType: 'acompletion',
  stream: OPENAI_STREAM,
  generates: true,
  listField: MESSAGES_FIELD,
});
const TEXT = row({ upstreamPath: '/completions', callType: 'atext_completion', stream: OPENAI_STREAM, generates: true });
const EMBED = row({ upstreamPath: '/embeddings', callType: 'aembedding' });
const RESPONSES = row({ upstreamPath: '/responses', callType: 'aresponses', stream: RESPONSES_STREAM, generates: true, createsResponse: true });
const MESSAGES = row({
  upstreamPath: '/messages',
  callType: 'anthropic_messages',
  stream: MESSAGES_STREAM,
  generates: true,
  listField: MESSAGES_FIELD,
});
const TRANSCRIBE = row({ upstreamPath: '/audio/transcriptions', callType: 'atranscription', body: 'multipart', stream: AUDIO_STREAM, generates: true });
const TRANSLATE = row({ upstreamPath: '/audio/translations', callType: 'atranslation', body: 'multipart', stream: AUDIO_STREAM, generates: true });
const RERANK_V1 = row({ upstreamPath: '/rerank', callType: 'arerank' });
const SCORE_V1 = row({ upstreamPath: '/score', callType: 'ascore' });
const atRoot = (upstreamPath: string, callType: string, unbilled?: boolean) => row({ upstreamPath, callType, base: 'root', unbilled });

/** Responses addressed by id: GET /v1/responses/{id} and POST /v1/responses/{id}/cancel. */
export const GET_RESPONSE = row({
  method: 'GET',
  upstreamPath: '/responses/{id}',
  callType: 'aget_responses',
  body: 'none',
  byResponseId: true,
  unbilled: true,
});
export const CANCEL_RESPONSE = row({ upstreamPath: '/responses/{id}/cancel', callType: 'acancel_responses', body: 'none', byResponseId: true, unbilled: true });

/** The fast path's POST routes: exact, case-sensitive paths (OpenAI's with and without `/v1`, as LiteLLM serves them). */
const ENDPOINTS = new Map<string, Endpoint>([
  ['/v1/chat/completions', CHAT],
  ['/chat/completions', CHAT],
  ['/v1/completions', TEXT],
  ['/completions', TEXT],
  ['/v1/embeddings', EMBED],
  ['/embeddings', EMBED],
  ['/v1/responses', RESPONSES],
  ['/responses', RESPONSES],
  ['/v1/messages', MESSAGES],
  ['/v1/audio/transcriptions', TRANSCRIBE],
  ['/audio/transcriptions', TRANSCRIBE],
  ['/v1/audio/translations', TRANSLATE],
  ['/audio/translations', TRANSLATE],
  ['/v1/rerank', RERANK_V1],
  ['/rerank', atRoot('/rerank', 'arerank')],
  ['/v2/rerank', atRoot('/v2/rerank', 'arerank')],
  ['/v1/score', SCORE_V1],
  ['/score', atRoot('/score', 'ascore')],
  ['/pooling', atRoot('/pooling', 'apooling')],
  ['/classify', atRoot('/classify', 'aclassify')],
  ['/tokenize', atRoot('/tokenize', 'atokenize', true)],
  ['/detokenize', atRoot('/detokenize', 'adetokenize', true)],
]);

/** Every path the fast path serves, with its method (for the OpenAPI document and tests). */
export function servedRoutes(): Array<{ method: 'GET' | 'POST'; path: string; endpoint: Endpoint }> {
  const out = [...ENDPOINTS].map(([path, endpoint]) => ({ method: endpoint.method, path, endpoint }));
  for (const prefix of ['/v1/responses/', '/responses/']) {
    out.push({ method: 'GET', path: `${prefix}{response_id}`, endpoint: GET_RESPONSE });
    out.push({ method: 'POST', path: `${prefix}{response_id}/cancel`, endpoint: CANCEL_RESPONSE });
  }
  return out;
}

function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

const RESPONSE_ID = /^\/(?:v1\/)?responses\/([A-Za-z0-9_.:-]{1,200})(\/cancel)?$/;

/** The response id in `/v1/responses/{id}[/cancel]`, and whether it is the cancel route. */
export function responseIdOf(url: string | undefined): { id: string; cancel: boolean } | undefined {
  const m = RESPONSE_ID.exec(pathOf(url));
  return m ? { id: m[1], cancel: m[2] !== undefined } : undefined;
}

/** The endpoint this request is for, when the fast path serves it. */
export function matchEndpoint(req: IncomingMessage): Endpoint | undefined {
  if (req.method === 'POST') {
    const exact = ENDPOINTS.get(pathOf(req.url));
    if (exact) return exact;
    const ref = responseIdOf(req.url);
    return ref?.cancel ? CANCEL_RESPONSE : undefined;
  }
  if (req.method === 'GET' && req.url?.includes('responses/')) {
    const ref = responseIdOf(req.url);
    return ref && !ref.cancel ? GET_RESPONSE : undefined;
  }
  return undefined;
}
