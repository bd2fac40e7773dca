import { expect } from 'vitest';
import type { TestProxy } from './proxy.js';

/** A `LiteLLM_SpendLogs` row as node-postgres returns it. */
export interface SpendRow {
  request_id: string;
  call_type: string;
  api_key: string;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  startTime: Date;
  endTime: Date;
  model: string;
  model_group: string;
  api_base: string;
  user: string;
  team_id: string | null;
  status: string;
  metadata: Record<string, unknown>;
}

export interface Prices {
  input: number;
  output: number;
}

/** What a request should cost: usage × the deployment's per-token prices. */
export function costOf(prices: Prices, prompt: number, completion: number): number {
  return prompt * prices.input + completion * prices.output;
}

/** Money compared as the issue asks: no drift beyond 1e-9. */
export function expectMoney(actual: unknown, expected: number): void {
  expect(typeof actual).toBe('number');
  expect(Math.abs((actual as number) - expected), `${String(actual)} vs expected ${expected}`).toBeLessThanOrEqual(1e-9);
}

export interface GeneratedKey {
  key: string;
  token_id: string;
  /** The key's SHA-256 hash, as the database keeps it. */
  token: string;
  key_alias: string | null;
  budget_reset_at: string | null;
}

export async function generateKey(app: TestProxy, body: Record<string, unknown> = {}): Promise<GeneratedKey> {
  const res = await app.fetch('/key/generate', { method: 'POST', json: body });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as GeneratedKey;
}

export async function updateKey(app: TestProxy, body: Record<string, unknown>): Promise<void> {
  const res = await app.fetch('/key/update', { method: 'POST', json: body });
  expect(res.status, await res.clone().text()).toBe(200);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` whitespace-separated words: the mock vLLM counts one prompt token per word. */
export function words(n: number, word = 'w'): string {
  return Array.from({ length: n }, (_, i) => `${word}${i}`).join(' ');
}
