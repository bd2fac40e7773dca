import { describe, expect, it } from 'vitest';
import { addDuration } from './duration.js';

const at = (iso: string) => new Date(iso);

describe('addDuration', () => {
  it('adds seconds, minutes, hours, days and weeks exactly', () => {
    const from = at('2026-03-28T10:00:00.000Z');
    expect(addDuration(from, '30s').toISOString()).toBe('2026-03-28T10:00:30.000Z');
    expect(addDuration(from, '90m').toISOString()).toBe('2026-03-28T11:30:00.000Z');
    expect(addDuration(from, '24h').toISOString()).toBe('2026-03-29T10:00:00.000Z');
    expect(addDuration(from, '7d').toISOString()).toBe('2026-04-04T10:00:00.000Z');
    expect(addDuration(from, '2w').toISOString()).toBe('2026-04-11T10:00:00.000Z');
    expect(addDuration(from, '0d').toISOString()).toBe(from.toISOString());
  });

  it('adds calendar months, keeping the time of day and crossing the year', () => {
    expect(addDuration(at('2026-01-15T08:30:00.000Z'), '1mo').toISOString()).toBe('2026-02-15T08:30:00.000Z');
    expect(addDuration(at('2026-11-15T08:30:00.000Z'), '3mo').toISOString()).toBe('2027-02-15T08:30:00.000Z');
    expect(addDuration(at('2026-01-15T08:30:00.000Z'), '12mo').toISOString()).toBe('2027-01-15T08:30:00.000Z');
  });

  it("ends a month on the target month's last day when it is shorter, as LiteLLM does (Jan 31 + 1mo = Feb 28)", () => {
    expect(addDuration(at('2026-01-31T12:00:00.000Z'), '1mo').toISOString()).toBe('2026-02-28T12:00:00.000Z');
    expect(addDuration(at('2028-01-31T12:00:00.000Z'), '1mo').toISOString()).toBe('2028-02-29T12:00:00.000Z');
    expect(addDuration(at('2026-03-31T00:00:00.000Z'), '1mo').toISOString()).toBe('2026-04-30T00:00:00.000Z');
    expect(addDuration(at('2026-08-31T00:00:00.000Z'), '6mo').toISOString()).toBe('2027-02-28T00:00:00.000Z');
  });

  it('does not change the date it was given', () => {
    const from = at('2026-01-31T12:00:00.000Z');
    addDuration(from, '1mo');
    addDuration(from, '1d');
    expect(from.toISOString()).toBe('2026-01-31T12:00:00.000Z');
  });

  it('refuses anything but <n>s|m|h|d|w|mo', () => {
    for (const bad of ['', '1', 'd', '1y', '1.5h', '-1d', ' 1d', '1D', '1month']) {
      expect(() => addDuration(at('2026-01-01T00:00:00Z'), bad), bad).toThrow(/invalid duration/);
    }
  });
});
