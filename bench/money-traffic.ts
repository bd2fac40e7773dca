// The money soak's clients: one connection per budgeted key, paced, each request one of chat
// (non-stream), stream with usage, stream the client aborts after a few chunks, embeddings. Every
// answer's cost is computed from the usage the client was given, as a client billing itself would.

import { Client } from 'undici';

export type Kind = 'chat' | 'stream' | 'stream-aborted' | 'embeddings';
export const KINDS: readonly Kind[] = ['chat', 'stream', 'stream-aborted', 'embeddings'];

export interface Prices {
  input: number;
  output: number;
}

/** What one connection saw, request by request (only what the report needs). */
export interface ConnStats {
  outcomes: Record<string, number>;
  /** Tokens the client was told about, per served answer (summed here for exactness). */
  promptTokens: number;
  completionTokens: number;
  /** The cost each told answer implies, by the proxy's call id (x-litellm-call-id). */
  told: Map<string, number>;
  /** Call ids of streams this client aborted (their cost cannot be known to it). */
  aborted: Set<string>;
  /** Call ids of requests that failed after the proxy answered headers (cut by the SIGKILL, say). */
  cut: Set<string>;
}

export function cost(p: Prices, prompt: number, completion: number): number {
  return prompt * p.input + completion * p.output;
}

function bodyOf(kind: Kind, i: number): string {
  if (kind === 'embeddings') return JSON.stringify({ model: 'money-embed', input: `embed this line number ${i % 97}` });
  const b: Record<string, unknown> = { model: 'money-chat', messages: [{ role: 'user', content: `Say hello to the money soak ${i % 89}` }], max_tokens: 16 };
  if (kind !== 'chat') {
    b.stream = true;
    b.stream_options = { include_usage: true };
    b.mock = { ttft_ms: 0, inter_token_ms: 5 };
  }
  return JSON.stringify(b);
}

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

/** Runs one connection until `until()` says stop. */
export async function runConnection(origin: string, key: string, prices: Prices, pacingMs: number, until: () => boolean, offset: number): Promise<ConnStats> {
  const st: ConnStats = { outcomes: {}, promptTokens: 0, completionTokens: 0, told: new Map(), aborted: new Set(), cut: new Set() };
  const note = (o: string): void => {
    st.outcomes[o] = (st.outcomes[o] ?? 0) + 1;
  };
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  let client = new Client(origin, { pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
  for (let i = offset; !until(); i++) {
    const started = Date.now();
    const slot = i % 20;
    const kind: Kind = slot < 10 ? 'chat' : slot < 15 ? 'stream' : slot < 17 ? 'stream-aborted' : 'embeddings';
    let callId: string | undefined;
    let answered = false;
    try {
      const path = kind === 'embeddings' ? '/v1/embeddings' : '/v1/chat/completions';
      const r = await client.request({ path, method: 'POST', headers, body: bodyOf(kind, i) });
      answered = true;
      const h = r.headers['x-litellm-call-id'];
      callId = typeof h === 'string' ? h : undefined;
      if (r.statusCode !== 200) {
        const text = await r.body.text();
        note(r.statusCode === 400 && text.includes('budget') ? 'refused: budget exceeded' : `HTTP ${r.statusCode}`);
      } else if (kind === 'chat' || kind === 'embeddings') {
        const j = (await r.body.json()) as { usage?: Usage };
        told(st, prices, callId, j.usage, kind, note);
      } else {
        let buf = '';
        let usage: Usage | undefined;
        let chunks = 0;
        let done = false;
        for await (const data of r.body) {
          buf += (data as Buffer).toString('utf8');
          let at: number;
          while ((at = buf.indexOf('\n\n')) !== -1) {
            const event = buf.slice(0, at);
            buf = buf.slice(at + 2);
            if (!event.startsWith('data: ')) continue;
            const payload = event.slice(6);
            if (payload === '[DONE]') {
              done = true;
              continue;
            }
            chunks++;
            const j = JSON.parse(payload) as { usage?: Usage | null };
            if (j.usage) usage = j.usage;
          }
          if (kind === 'stream-aborted' && chunks >= 3) break;
        }
        if (kind === 'stream-aborted' && !done) {
          r.body.destroy();
          if (callId) st.aborted.add(callId);
          note('stream aborted by the client');
          // The aborted request took the connection with it.
          await client.destroy().catch(() => undefined);
          client = new Client(origin, { pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
        } else if (!done) {
          if (callId) st.cut.add(callId);
          note('stream ended without [DONE]');
        } else {
          told(st, prices, callId, usage, kind, note);
        }
      }
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as Error).name;
      if (answered && callId) st.cut.add(callId);
      note(answered ? `cut mid-answer (${code})` : code === 'ECONNREFUSED' ? 'proxy down (connection refused)' : `failed before an answer (${code})`);
      await client.destroy().catch(() => undefined);
      client = new Client(origin, { pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 });
    }
    const wait = pacingMs - (Date.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await client.close().catch(() => undefined);
  return st;
}

function told(st: ConnStats, prices: Prices, callId: string | undefined, usage: Usage | undefined, kind: Kind, note: (o: string) => void): void {
  if (!usage) {
    note(`${kind}: served without usage`);
    return;
  }
  const p = usage.prompt_tokens ?? 0;
  const c = usage.completion_tokens ?? 0;
  st.promptTokens += p;
  st.completionTokens += c;
  if (callId) st.told.set(callId, cost(prices, p, c));
  note(kind === 'stream-aborted' ? 'served: stream (over before the client could abort it)' : `served: ${kind}`);
}
