import { expect } from 'vitest';
import type { TestDatabase } from './database.js';
import { waitFor } from './sdk.js';
import { sleep, type SpendRow } from './spend.js';

/** One event of an `event:` SSE stream (vLLM's Responses and Anthropic Messages streams). */
export interface SseEvent {
  event: string | undefined;
  data: Record<string, unknown>;
}

/** Parses an SSE body into its events; each block's `event:` line and JSON `data:` line. */
export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice('event: '.length);
      const data = lines.find((l) => l.startsWith('data: '))?.slice('data: '.length) ?? 'null';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

/**
 * The `LiteLLM_SpendLogs` rows booked for one virtual key (by its hash), oldest first, once `n` have
 * appeared (the spend writer flushes on an interval); fails when there are more.
 */
export async function keyRows(db: TestDatabase, token: string, n: number): Promise<SpendRow[]> {
  const rows = () => db.query<SpendRow & { model_id: string }>('SELECT * FROM "LiteLLM_SpendLogs" WHERE api_key = $1 ORDER BY "startTime"', [token]);
  await waitFor(async () => (await rows()).length >= n, 5000);
  await sleep(150);
  const all = await rows();
  expect(all).toHaveLength(n);
  return all;
}
