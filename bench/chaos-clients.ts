// The chaos soak's clients. Well-behaved ones on undici (their latency is the figure); the rest on
// raw sockets, since only a raw socket can read slowly, stop reading or send what no SDK would.

import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { sleep } from './services.js';

export type Role = 'good' | 'slow reader' | 'stops reading' | 'disconnects mid-stream' | 'oversized body' | 'deeply nested body';

export interface Tally {
  outcomes: Record<string, number>;
  /** Latencies (ms) of the well-behaved clients' successful requests. */
  latencies: number[];
}

export const newTally = (): Tally => ({ outcomes: {}, latencies: [] });
const note = (t: Tally, o: string): void => {
  t.outcomes[o] = (t.outcomes[o] ?? 0) + 1;
};

export const MODEL = 'chaos-model';

export function chat(stream: boolean, tokens: number, interTokenMs: number, extra: Record<string, unknown> = {}): string {
  const b: Record<string, unknown> = { model: MODEL, messages: [{ role: 'user', content: 'Say hello to the chaos soak' }], max_tokens: tokens, ...extra };
  if (stream) {
    b.stream = true;
    b.mock = { ttft_ms: 0, inter_token_ms: interTokenMs };
  }
  return JSON.stringify(b);
}

/** A well-behaved client: paced, 1 in 3 streamed, every request read to its end. */
export async function goodClient(origin: string, key: string, pacingMs: number, stop: () => boolean, t: Tally, offset: number): Promise<void> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}` };
  let client = new Client(origin, { pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
  // Spread the first requests over one pacing interval.
  await sleep((offset * 37) % pacingMs);
  for (let i = offset; !stop(); i++) {
    const stream = i % 3 === 0;
    const t0 = performance.now();
    try {
      const r = await client.request({ path: '/v1/chat/completions', method: 'POST', headers, body: chat(stream, 16, 2) });
      const text = await r.body.text();
      if (r.statusCode !== 200) note(t, `good: HTTP ${r.statusCode}`);
      else if (stream && !text.includes('data: [DONE]')) note(t, 'good: stream ended without [DONE]');
      else {
        note(t, 'good: ok');
        t.latencies.push(performance.now() - t0);
      }
    } catch (e) {
      note(t, `good: ${(e as { code?: string }).code ?? (e as Error).name}`);
      await client.destroy().catch(() => undefined);
      client = new Client(origin, { pipelining: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
    }
    const wait = pacingMs - (performance.now() - t0);
    if (wait > 0) await sleep(wait);
  }
  await client.close().catch(() => undefined);
}

interface RawResult {
  status: number;
  bytes: number;
  done: boolean;
  error?: string;
}

/**
 * One request on its own socket (Connection: close). `onData` sees every chunk and may pause,
 * resume or destroy the socket; `giveUpMs` destroys it when the answer has not ended by then.
 */
function rawRequest(
  port: number,
  key: string,
  body: Buffer | string,
  giveUpMs: number,
  onData?: (s: Socket, chunk: Buffer, n: number) => void,
): Promise<RawResult> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const res: RawResult = { status: 0, bytes: 0, done: false };
    let head = '';
    let tail = '';
    let n = 0;
    const timer = setTimeout(() => {
      res.error = 'gave up';
      s.destroy();
    }, giveUpMs);
    s.on('error', (e: NodeJS.ErrnoException) => {
      res.error ??= e.code ?? e.message;
    });
    s.on('data', (chunk: Buffer) => {
      res.bytes += chunk.length;
      if (head.length < 16) head += chunk.toString('latin1', 0, 16);
      tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 64))).slice(-64);
      onData?.(s, chunk, ++n);
    });
    s.on('close', () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      res.status = m ? Number(m[1]) : 0;
      res.done = tail.includes('[DONE]');
      resolve(res);
    });
    const len = Buffer.byteLength(body);
    s.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${key}\r\ncontent-type: application/json\r\ncontent-length: ${len}\r\nconnection: close\r\n\r\n`,
    );
    s.write(body);
  });
}

/** Keeps one misbehaving client going until `stop()`. */
export async function badClient(role: Role, port: number, key: string, stop: () => boolean, t: Tally, offset: number): Promise<void> {
  const big = Buffer.from(chat(false, 16, 0, { padding: 'x'.repeat(1536 * 1024) }));
  const nested = `{"model":"${MODEL}","messages":[{"role":"user","content":"hi"}],"deep":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
  await sleep((offset * 53) % 1000);
  while (!stop()) {
    const label = (r: RawResult, what: string): string => `${role}: ${what}${r.error && r.error !== 'gave up' && what !== 'gave up' ? ` (${r.error})` : ''}`;
    switch (role) {
      case 'slow reader': {
        // Reads a chunk, then looks away for 50 ms, all through a 100-token stream.
        const r = await rawRequest(port, key, chat(true, 100, 2), 60_000, (s) => {
          s.pause();
          setTimeout(() => s.resume(), 50);
        });
        note(t, label(r, r.done ? 'stream read to [DONE]' : r.status ? `HTTP ${r.status}, stream cut` : 'no answer'));
        break;
      }
      case 'stops reading': {
        // A long stream (30,000 tokens, ~5 MB: more than loopback's socket buffers hold, up to 4 MB
        // on the sending side here); after the first bytes the client reads nothing for 20 s, then
        // reads again: a proxy that cut the stall ends the stream without [DONE], one that held it
        // delivers it all.
        const r = await rawRequest(port, key, chat(true, 30_000, 0), 60_000, (s, _c, n) => {
          if (n !== 1) return;
          s.pause();
          setTimeout(() => s.resume(), 20_000);
        });
        note(
          t,
          label(
            r,
            r.done
              ? 'paused 20 s, then read the stream to [DONE] (held)'
              : r.error === 'gave up'
                ? 'still open 40 s after reading again'
                : 'paused 20 s, stream ended without [DONE] (cut)',
          ),
        );
        await sleep(5_000);
        break;
      }
      case 'disconnects mid-stream': {
        const r = await rawRequest(port, key, chat(true, 100, 5), 30_000, (s, _c, n) => {
          if (n === 3) s.destroy();
        });
        note(t, label(r, r.done ? 'stream over before it could leave' : r.bytes > 0 ? 'left mid-stream' : 'no answer'));
        await sleep(100);
        break;
      }
      case 'oversized body': {
        const r = await rawRequest(port, key, big, 30_000);
        note(t, label(r, r.status ? `HTTP ${r.status}` : 'no status'));
        await sleep(1000);
        break;
      }
      case 'deeply nested body': {
        const r = await rawRequest(port, key, nested, 30_000);
        note(t, label(r, r.status ? `HTTP ${r.status}` : 'no status'));
        await sleep(200);
        break;
      }
      case 'good':
        return;
    }
  }
}

/** p-quantile of a list of latencies (ms). */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const a = Float64Array.from(xs).sort();
  return a[Math.min(a.length - 1, Math.max(0, Math.ceil(q * a.length) - 1))];
}
