import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Principal } from '../auth/principal.js';
import { requestIdFor } from '../common/request-id.js';
import type { DeploymentConfig } from '../config/config.types.js';
import type { Usage } from '../spend/spend-entry.js';
import type { Endpoint } from './endpoints.js';
import type { UpstreamCall } from '../upstream/upstream-call.js';
import type { UpstreamBody } from '../upstream/upstream.client.js';

/** One /v1 request as it travels authenticate → resolve → admit → forward → respond → book. */
export interface RequestContext {
  readonly endpoint: Endpoint;
  /** Echoed as `x-request-id`: the caller's own id when it sent a sane one, else `callId`. */
  readonly requestId: string;
  /**
   * Ours alone: sent upstream as `X-Request-Id` (vLLM derives its answer's id from it) and the spend
   * row's identity, so no id a client or backend reuses can merge two requests into one charge.
   */
  readonly callId: string;
  readonly t0: number;
  readonly startTime: number;
  /** Time spent waiting on backends in failed attempts: not the proxy's overhead. */
  backendMs: number;
  principal?: Principal;
  /** The upstream path (after api_base or the root, as the endpoint says), with the response id and query filled in. */
  upstreamPath: string;
  /** The body each attempt sends to deployment `dep` (the model rewritten to its upstream id). */
  payload: (dep: DeploymentConfig) => UpstreamBody;
  /** A 404 means "not this deployment": try the next (a response id the proxy did not make). */
  probing: boolean;
  /** Set once the alias is known to exist, so metric labels stay bounded whatever clients send. */
  alias: string;
  user: string;
  /** Request-body bytes, for the prompt estimate when a stream ends before any usage arrived. */
  bodyBytes: number;
  /** The deployment that took (or last failed) the request; a request that reached none is not booked. */
  deployment?: DeploymentConfig;
  outcome: 'success' | 'failure';
  usage?: Usage;
  /** The usage was counted by the proxy (no usage arrived from the backend). */
  usageEstimated: boolean;
  responseId?: string;
  firstChunkAt: number | null;
  errorType?: string;
  statusCode?: number;
  spend: number;
  /** The client went away; `upstream` is the backend call to stop. */
  clientGone: boolean;
  upstream?: UpstreamCall;
  /** Run once when the request ends, whatever happened: slots, leases, reservations, held bytes. */
  readonly cleanups: Array<() => void>;
}

const noBody = (): UpstreamBody => ({});

export function createContext(req: IncomingMessage, endpoint: Endpoint): RequestContext {
  const callId = randomUUID();
  const given = req.headers['x-request-id'];
  return {
    endpoint,
    requestId: given === undefined ? callId : requestIdFor(req),
    callId,
    t0: performance.now(),
    startTime: Date.now(),
    backendMs: 0,
    upstreamPath: endpoint.upstreamPath,
    payload: noBody,
    probing: false,
    alias: '',
    user: '',
    bodyBytes: 0,
    outcome: 'failure',
    usageEstimated: false,
    firstChunkAt: null,
    spend: 0,
    clientGone: false,
    cleanups: [],
  };
}

/** Releases everything the request holds; each cleanup runs once even if another throws. */
export function releaseAll(ctx: RequestContext): void {
  const cleanups = ctx.cleanups.splice(0);
  for (const fn of cleanups) {
    try {
      fn();
    } catch {
      /* a failing release must not keep the others */
    }
  }
}
