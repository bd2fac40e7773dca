import cluster, { type Worker } from 'node:cluster';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProxyApp } from './bootstrap.js';
import { flushLogger } from './common/logger.js';
import { loadWorkers } from './config/config.loader.js';
import { loadSettings, type Settings } from './config/settings.js';
import { loadTokensEnv, tokensEnvPath } from './config/tokens-env.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres.js';
import { stopper, takeOverSignals } from './server/signals.js';

// `WORKERS=N`: N processes serve one port through node:cluster (the primary accepts connections and
// hands them out in turn). The primary does only what must happen once: secrets, config check, the
// embedded PostgreSQL; each worker is an ordinary proxy (startProxy) on the shared database.

/** What a worker tells the primary over the cluster's IPC channel. */
type WorkerMessage = { type: 'model-proxy:ready'; url: string } | { type: 'model-proxy:failed'; message: string };

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
/** Past the workers' own grace period, time left for them to flush spend and close before they are killed. */
const STOP_MARGIN_MS = 30_000;

/** `WORKERS`, from the environment or tokens.env (loaded here already, as startProxy would). */
export function workerCount(env: NodeJS.ProcessEnv): number {
  loadTokensEnv(tokensEnvPath(env), env);
  return loadWorkers(env);
}

/**
 * In a worker, once listening: signals as the primary sends them, then "ready". SIGTERM drains and
 * exits, however often it comes (the primary forwards one; `kill` of the whole group sends another).
 * Ctrl-C in a terminal reaches every worker as well as the primary, which answers it with a SIGTERM
 * to each, so a worker ignores SIGINT.
 */
export function serveAsWorker(proxy: Pick<ProxyApp, 'url' | 'close'>, reload: () => void): void {
  process.on(
    'SIGTERM',
    stopper(() => proxy.close()),
  );
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', reload);
  process.send?.({ type: 'model-proxy:ready', url: proxy.url } satisfies WorkerMessage);
}

/** In a worker that could not start: the primary prints the reason, once however many workers fail; then exit 1. */
export function reportFailure(message: string): void {
  const exit = () => process.exit(1);
  if (!process.send || !process.connected) {
    process.stderr.write(`model-proxy: ${message}\n`);
    exit();
    return;
  }
  process.send({ type: 'model-proxy:failed', message } satisfies WorkerMessage, undefined, undefined, exit);
}

function isWorkerMessage(msg: unknown): msg is WorkerMessage {
  return (
    typeof msg === 'object' && msg !== null && typeof (msg as { type?: unknown }).type === 'string' && (msg as { type: string }).type.startsWith('model-proxy:')
  );
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Runs the primary until it is stopped; throws (a ConfigError) only for what fails before any worker starts. */
export async function runPrimary(workers: number, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // Here the database must outlive the workers' drain, so the primary stops it itself, last.
  takeOverSignals();
  await new ClusterPrimary(workers, loadSettings(env, undefined, 'Cluster')).run();
}

class ClusterPrimary {
  private phase: 'booting' | 'serving' | 'stopping' = 'booting';
  private database?: Promise<EmbeddedDatabase>;
  private workerEnv: NodeJS.ProcessEnv = {};
  /** Every worker not yet exited, with the promise of its exit. */
  private readonly live = new Map<Worker, Promise<unknown>>();
  private readonly ready = new Set<Worker>();
  /** The reason a worker gave before exiting (it prints nothing itself, so N workers failing alike make one line). */
  private readonly reasons = new Map<Worker, string>();
  private retryMs = FIRST_RETRY_MS;
  private exitCode = 0;

  constructor(
    private readonly size: number,
    private readonly settings: Settings,
  ) {}

  async run(): Promise<void> {
    process.on('SIGTERM', () => this.stop('SIGTERM'));
    process.on('SIGINT', () => this.stop('SIGINT'));
    process.on('SIGHUP', () => this.reload());
    const { config, log } = this.settings;
    if (!config.databaseUrl) {
      // Started once, here: the workers get its URL as DATABASE_URL.
      this.database = startEmbeddedPostgres(config.dataDir, log);
      this.workerEnv = { DATABASE_URL: (await this.database).url };
    }
    if (this.stopping) return;
    cluster.on('message', (worker, msg: unknown) => this.onMessage(worker, msg));
    cluster.on('exit', (worker, code, signal) => void this.onExit(worker, code, signal));
    for (let i = 0; i < this.size; i++) this.fork();
  }

  /** A getter, so TypeScript does not keep `phase` narrowed across an await (another handler may change it meanwhile). */
  private get stopping(): boolean {
    return this.phase === 'stopping';
  }

  private fork(): void {
    const worker = cluster.fork(this.workerEnv);
    // Not events.once: it would reject on the worker's 'error' (a failed kill or send), which is only logged.
    this.live.set(worker, new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    worker.on('error', (err) => this.settings.logger.warn({ context: 'Cluster' }, `worker ${worker.process.pid}: ${err.message}`));
  }

  private onMessage(worker: Worker, msg: unknown): void {
    if (!isWorkerMessage(msg)) return;
    if (msg.type === 'model-proxy:failed') {
      this.reasons.set(worker, msg.message);
      return;
    }
    if (this.phase === 'stopping') return;
    this.ready.add(worker);
    this.retryMs = FIRST_RETRY_MS;
    if (this.phase === 'serving') {
      this.settings.log(`replacement worker ${worker.process.pid} listening`);
    } else if (this.ready.size === this.size) {
      this.phase = 'serving';
      const pids = [...this.ready].map((w) => w.process.pid).join(', ');
      this.settings.log(`${this.size} workers listening on ${msg.url} (pids ${pids})`);
    }
  }

  private async onExit(worker: Worker, code: number | null, signal: string | null): Promise<void> {
    this.live.delete(worker);
    const wasReady = this.ready.delete(worker);
    if (this.phase === 'stopping') {
      // Its shutdown failed (it said why on stderr): so does ours.
      if (wasReady && code !== 0) this.exitCode = 1;
      return;
    }
    // The reason it sent just before exiting may still be in the channel: read up to its end.
    if (worker.isConnected()) await Promise.race([new Promise((resolve) => worker.once('disconnect', resolve)), sleep(1_000)]);
    const reason = this.reasons.get(worker) ?? `worker ${worker.process.pid} ${describeExit(code, signal)} during startup`;
    this.reasons.delete(worker);
    if (this.stopping) return;
    if (this.phase === 'booting') {
      process.stderr.write(`model-proxy: ${reason}\n`);
      void this.shutdown(1);
      return;
    }
    const { logger } = this.settings;
    if (wasReady) {
      logger.warn({ context: 'Cluster' }, `worker ${worker.process.pid} ${describeExit(code, signal)}; starting a replacement`);
      this.fork();
      return;
    }
    // A replacement that cannot start (database down...): keep trying, less and less often.
    logger.error({ context: 'Cluster' }, `a replacement worker could not start: ${reason}; trying again in ${this.retryMs / 1000} s`);
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    setTimeout(() => {
      if (this.phase === 'serving') this.fork();
    }, delay);
  }

  private reload(): void {
    if (this.phase === 'stopping') return;
    // A worker still booting reads the file as it starts (and SIGHUP would end it before its handlers are set).
    this.settings.log(`received SIGHUP: reloading the config file in ${this.ready.size} worker(s)`);
    for (const worker of this.ready) worker.process.kill('SIGHUP');
  }

  private stop(signal: string): void {
    if (this.phase === 'stopping') return;
    process.stderr.write(`received ${signal}, shutting down ${this.live.size} worker(s)\n`);
    void this.shutdown(0);
  }

  /** SIGTERM to every worker; once all have drained and exited, the embedded database stops. */
  private async shutdown(code: number): Promise<void> {
    this.phase = 'stopping';
    const { config, logger, log } = this.settings;
    const exits = [...this.live.values()];
    for (const worker of this.live.keys()) worker.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      logger.warn(
        { context: 'Cluster' },
        `${this.live.size} worker(s) still running ${(config.shutdownGraceMs + STOP_MARGIN_MS) / 1000} s after SIGTERM: killing them`,
      );
      for (const worker of this.live.keys()) worker.process.kill('SIGKILL');
    }, config.shutdownGraceMs + STOP_MARGIN_MS);
    await Promise.all(exits);
    clearTimeout(deadline);
    const database = await this.database?.catch(() => undefined);
    await database?.stop();
    log('stopped');
    await flushLogger(logger);
    process.exit(code || this.exitCode);
  }
}
