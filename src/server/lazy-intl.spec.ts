import { describe, expect, it, vi } from 'vitest';
import { withLazyDateTimeFormat } from './lazy-intl.js';

describe('withLazyDateTimeFormat', () => {
  const options: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: 'numeric', minute: 'numeric', timeZone: 'UTC' };

  it('a formatter built while loading is built for real only when used, and formats as a real one', async () => {
    const Real = Intl.DateTimeFormat;
    const built = vi.fn();
    // A stand-in for the real constructor, to see when the lazy one calls it.
    const standIn = function (...args: ConstructorParameters<typeof Real>) {
      built();
      return new Real(...args);
    };
    Intl.DateTimeFormat = Object.assign(standIn, {
      prototype: Real.prototype,
      supportedLocalesOf: Real.supportedLocalesOf,
    }) as unknown as typeof Intl.DateTimeFormat;
    try {
      const lazy = await withLazyDateTimeFormat(async () => new Intl.DateTimeFormat('en-GB', options));
      expect(built).not.toHaveBeenCalled();
      expect(lazy.format(Date.UTC(2026, 11, 4, 18, 5))).toBe(new Real('en-GB', options).format(Date.UTC(2026, 11, 4, 18, 5)));
      expect(lazy.resolvedOptions().timeZone).toBe('UTC');
      expect(lazy instanceof Real).toBe(true);
      expect(built).toHaveBeenCalledTimes(1);
    } finally {
      Intl.DateTimeFormat = Real;
    }
  });

  it('puts the real constructor back, also when loading fails', async () => {
    const Real = Intl.DateTimeFormat;
    await expect(withLazyDateTimeFormat(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(Intl.DateTimeFormat).toBe(Real);
    expect(await withLazyDateTimeFormat(async () => 1)).toBe(1);
    expect(Intl.DateTimeFormat).toBe(Real);
  });
});
