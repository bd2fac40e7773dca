import cluster from 'node:cluster';
import { reportFailure, runPrimary, serveAsWorker, workerCount } from './cluster.js';
import { ConfigError } from './config/config.error.js';
import { tuneHeap } from './server/heap.js';
import { withLazyDateTimeFormat } from './server/lazy-intl.js';
import { handleSignals, takeOverSignals } from './server/signals.js';

async function main(): Promise<void> {
  tuneHeap();
  const workers = cluster.isPrimary ? workerCount(process.env) : 1;
  if (workers > 1) return runPrimary(workers);
  // Loaded only where requests are served, so a cluster's primary stays small.
  const { startProxy } = await withLazyDateTimeFormat(() => import('./bootstrap.js'));
  const { ConfigReloadService } = await import('./models/config-reload.service.js');
  const proxy = await startProxy();
  // SIGHUP re-reads the config file; a bad file is logged and the previous config keeps serving.
  const reload = () => {
    proxy.app
      .get(ConfigReloadService)
      .reload()
      .catch(() => {
        /* already logged with its reason */
      });
  };
  takeOverSignals();
  if (cluster.isWorker) return serveAsWorker(proxy, reload);
  handleSignals(() => proxy.close(), reload);
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
