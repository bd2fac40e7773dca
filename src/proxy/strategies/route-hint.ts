/** What the handler already knows about a request that a strategy may use (read once, from the parsed body). */
export interface RouteHint {
  /** The session, for `session_affinity`: the configured header, else the body's `user`. */
  sessionKey?: string;
  /** A cheap estimate of the prompt's tokens (body bytes / 4), for tpm limits. */
  inputTokens: number;
  stream: boolean;
}

/** How one served request went, for the latency and usage strategies. */
export interface Served {
  /** From sending upstream to the end of the answer. */
  ms: number;
  /** From sending upstream to the first streamed chunk (streams only). */
  ttftMs?: number;
  completionTokens: number;
  totalTokens: number;
}

export function pickRandom<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}
