import { describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/config.types.js';
import type { DbEventsService } from '../database/db-events.service.js';
import type { SpendEntry } from './spend-entry.js';
import type { SpendStore } from './spend-store.js';
import { SpendWriter } from './spend-writer.service.js';

// What budgets need from the writer, without a database: pending spend per key, user and team,
// and totals read back by the spend sync that never go backwards when a flush raced the read.

function writer(): SpendWriter {
  const events = { subscribe: () => undefined } as unknown as DbEventsService;
  return new SpendWriter(
    {
      proxy: { disableSpendLogs: false },
      spendFlushMs: 1000,
      spendQueueMaxBytes: 1 << 20,
      spendShutdownFlushMs: 1000,
      dbStatementTimeoutMs: 0,
      dataDir: '/tmp/mp-unit-spend',
    } as AppConfig,
    {} as SpendStore,
    events,
  );
}

const entry = (spend: number, userId: string | null, teamId: string | null): SpendEntry => ({
  requestId: 'r',
  callType: 'acompletion',
  apiKey: 'k',
  spend,
  promptTokens: 1,
  completionTokens: 1,
  startTime: 0,
  endTime: 0,
  completionStartTime: null,
  model: 'm',
  modelId: 'd',
  modelGroup: 'g',
  apiBase: 'http://x',
  user: '',
  teamId,
  status: 'success',
  metadata: { user_api_key_user_id: userId },
});

describe('SpendWriter for budgets', () => {
  it('pending spend is kept per key, user and team', () => {
    const w = writer();
    w.book(entry(0.5, 'u', 't'));
    w.book(entry(0.25, null, 't'));
    expect(w.spendOf('k', 1)).toBeCloseTo(1.75, 12);
    expect(w.spendOf('user:u', 0)).toBeCloseTo(0.5, 12);
    expect(w.spendOf('team:t', 2)).toBeCloseTo(2.75, 12);
  });

  it('totals read from the database replace what was known, unless a flush completed meanwhile', () => {
    const w = writer();
    w.noteDbSpend([{ id: 'team:t', spend: 3 }], w.writeMark);
    expect(w.spendOf('team:t', 0)).toBe(3);
    // A reset elsewhere: a clean read may lower the total.
    w.noteDbSpend([{ id: 'team:t', spend: 1 }], w.writeMark);
    expect(w.spendOf('team:t', 0)).toBe(1);
    // A read that raced a write can only raise it.
    (w as unknown as { writes: number }).writes++;
    w.noteDbSpend([{ id: 'team:t', spend: 0.5 }], w.writeMark - 1);
    expect(w.spendOf('team:t', 0)).toBe(1);
  });
});
