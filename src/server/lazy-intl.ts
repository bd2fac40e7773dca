/**
 * Runs `load` (an `import()`) with `Intl.DateTimeFormat` made lazy: a formatter built meanwhile is built
 * for real on its first use. Nest's console logger builds one at the top of its module, and that maps
 * ICU's locale and time-zone data: ~5.5 MB of RSS after boot, the `node` binary's pages that hold it
 * (BENCHMARKS.md, "RSS after boot: two things built at boot that the proxy rarely uses"). The proxy
 * logs through pino, so that formatter is never used.
 */
export async function withLazyDateTimeFormat<T>(load: () => Promise<T>): Promise<T> {
  const Real = Intl.DateTimeFormat;
  // A function, not an arrow: it is called with `new`, and the object it returns is the one `new` gives.
  const lazy = function (...args: ConstructorParameters<typeof Intl.DateTimeFormat>): Intl.DateTimeFormat {
    let real: Intl.DateTimeFormat | undefined;
    return new Proxy(Object.create(Real.prototype) as Intl.DateTimeFormat, {
      get(_target, prop) {
        if (prop === 'then') return undefined; // not a promise: awaiting one must not build it
        real ??= new Real(...args);
        const value: unknown = Reflect.get(real, prop);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
      },
    });
  };
  Intl.DateTimeFormat = Object.assign(lazy, { supportedLocalesOf: Real.supportedLocalesOf.bind(Real) }) as unknown as typeof Intl.DateTimeFormat;
  try {
    return await load();
  } finally {
    Intl.DateTimeFormat = Real;
  }
}
