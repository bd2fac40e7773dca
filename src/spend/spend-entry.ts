/** One request's booking, kept in memory until the writer flushes it. */
export interface SpendEntry {
  requestId: string;
  callType: string;
  /** Key hash (`token`), or '' for the master key. */
  apiKey: string;
  spend: number;
  promptTokens: number;
  completionTokens: number;
  startTime: number;
  endTime: number;
  completionStartTime: number | null;
  model: string;
  modelId: string;
  modelGroup: string;
  apiBase: string;
  user: string;
  teamId: string | null;
  status: 'success' | 'failure';
  metadata: Record<string, unknown>;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Audio the backend transcribed (vLLM's `{"type": "duration", "seconds"}` usage), billed per second. */
  seconds?: number;
}

export interface Prices {
  inputCostPerToken: number;
  outputCostPerToken: number;
  /** LiteLLM's `input_cost_per_second` (audio): 0 when unset. */
  inputCostPerSecond?: number;
}

/** Cost of one request from the deployment's per-token prices and the usage the backend reported. */
export function costOf(prices: Prices, usage: Usage | undefined): number {
  if (!usage) return 0;
  const cost =
    (usage.prompt_tokens || 0) * prices.inputCostPerToken +
    (usage.completion_tokens || 0) * prices.outputCostPerToken +
    (usage.seconds || 0) * (prices.inputCostPerSecond ?? 0);
  // 15 significant digits drop binary noise (1.34e-5, not 1.3399999999999999e-5).
  return Number(cost.toPrecision(15));
}

/** Rough in-memory size of an entry, for the writer's byte bound (cheap: no serialising on the hot path). */
export function entrySize(e: SpendEntry): number {
  return 600 + 2 * (e.requestId.length + e.model.length + e.modelGroup.length + e.apiBase.length + e.user.length);
}

/** What budgets count as booked but not yet written: the spend of a virtual key's entry (a NaN or infinite cost counts nothing). */
export function pendingOf(e: SpendEntry): number {
  return e.apiKey && e.spend > 0 && e.spend < Infinity ? e.spend : 0;
}
