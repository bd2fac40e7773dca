import type { ServerResponse } from 'node:http';
import type { RequestContext } from './request-context.js';
import type { SseTap } from './sse-tap.js';
import type { UpstreamCall } from '../upstream/upstream-call.js';
import { failureMidStream, type UpstreamFailure } from './upstream-errors.js';

/** How a relayed stream ended: completely, by the client (gone or stalled), or by a backend failure. */
export type StreamEnd = { ok: true } | { ok: false; failure?: UpstreamFailure };

/**
 * A client that has accepted nothing for `stallMs` after its socket filled up is cut off, so that a
 * reader who stopped reading cannot hold a backend request (and a pool connection) forever: while
 * the client does not drain, the upstream is paused and undici's body timeout does not run.
 */
export function relayStream(res: ServerResponse, ctx: RequestContext, up: UpstreamCall, tap: SseTap, stallMs: number): Promise<StreamEnd> {
  return new Promise((resolve) => {
    let ended = false;
    let stall: NodeJS.Timeout | undefined;
    const finish = (result: StreamEnd) => {
      if (ended) return;
      ended = true;
      clearTimeout(stall);
      res.off('drain', onDrain);
      resolve(result);
    };
    const onDrain = () => {
      clearTimeout(stall);
      stall = undefined;
      up.resume();
    };
    const onStall = () => {
      ctx.errorType = 'client_stalled';
      // Finished first: the abort below reaches `error` at once, and must not read as a backend failure.
      finish({ ok: false });
      up.abort();
      res.destroy();
    };
    const fail = (failure: UpstreamFailure) => {
      if (!res.destroyed) res.end(`data: ${JSON.stringify(failure.error.body())}\n\n`);
      finish({ ok: false, failure });
    };
    res.on('drain', onDrain);
    up.pipe({
      data: (chunk) => {
        ctx.firstChunkAt ??= Date.now();
        const out = tap.push(chunk);
        if (out === undefined || res.write(out)) return true;
        stall ??= setTimeout(onStall, stallMs);
        return false;
      },
      end: () => {
        const rest = tap.rest();
        if (rest && !res.destroyed) res.write(rest);
        if (!tap.done) return fail(failureMidStream(undefined, ctx.alias));
        if (!res.destroyed) res.end();
        finish({ ok: true });
      },
      error: (err) => {
        if (ended) return;
        if (ctx.clientGone) {
          ctx.errorType = 'client_disconnected';
          return finish({ ok: false });
        }
        fail(failureMidStream(err, ctx.alias));
      },
    });
  });
}

/** An answer the client is not reading is not kept for ever: the socket goes after `stallMs`. */
export function dropIfUnread(res: ServerResponse, stallMs: number): void {
  // Only bytes still held in the process count: no timer for an answer the kernel already took.
  if (res.writableFinished || res.destroyed || res.writableLength === 0) return;
  const timer = setTimeout(() => res.destroy(), stallMs);
  res.once('close', () => clearTimeout(timer));
}
