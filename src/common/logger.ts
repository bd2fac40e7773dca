import type { LoggerService } from '@nestjs/common';
import cluster from 'node:cluster';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Top-level fields that must never reach a log line. */
const REDACT_TOP = ['authorization', 'api_key', 'key', 'master_key', 'salt_key'];

/** Fields that must never reach a log line, wherever they appear. */
const REDACT = [
  ...REDACT_TOP,
  '*.authorization',
  '*.api_key',
  '*.key',
  '*.master_key',
  '*.headers.authorization',
  '*.headers["x-litellm-api-key"]',
  '*.headers["api-key"]',
];

/** POSIX's minimum, and Linux's value: writes up to this size to a pipe are atomic. */
const PIPE_BUF = 4096;

const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

const NEST_LEVELS: Record<string, string> = { error: 'error', warn: 'warn', info: 'info', debug: 'debug', silent: 'silent' };

/** JSON lines for machines; human-readable when stdout is a terminal. */
export function createLogger(level: string, pretty = Boolean(process.stdout.isTTY)): Logger {
  const options = { level: NEST_LEVELS[level] ?? 'info', base: { pid: process.pid }, redact: { paths: REDACT, censor: '***' } };
  if (pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid' } } });
  }
  // Asynchronous writes: under load lines are coalesced into few write(2) calls instead of one per
  // request; when idle each line goes out at once. Flushed at shutdown (see flushLogger). The workers
  // of a cluster share one stdout: a write of whole lines no longer than PIPE_BUF reaches a pipe in one
  // piece, so lines from two workers never interleave mid-line.
  return pino(options, pino.destination({ dest: 1, sync: false, ...(cluster.isWorker ? { maxWrite: PIPE_BUF } : {}) }));
}

/**
 * The logger of the per-request line (`/v1`'s one line per request). Its fields are fixed — ids,
 * the model alias, the deployment id, numbers — so it redacts the secret-named top-level fields only:
 * the wildcard paths above make pino walk every field of every line (~30 µs a line, against ~7 µs
 * with top-level paths only; BENCHMARKS.md, issue 13's performance notes).
 * Same destination, level and base fields as `logger`.
 */
export function requestLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: REDACT_TOP, censor: '***' } });
}

/** Writes out whatever an asynchronous destination still holds (before the process exits). */
export function flushLogger(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    const done = setTimeout(resolve, 1000);
    try {
      logger.flush(() => {
        clearTimeout(done);
        resolve();
      });
    } catch {
      clearTimeout(done);
      resolve();
    }
  });
}

/** Nest's logger interface on top of pino, so framework messages share the format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: 'info' | 'warn' | 'error' | 'debug' | 'trace' | 'fatal', message: unknown, params: unknown[]): void {
    const context = typeof params.at(-1) === 'string' ? (params.at(-1) as string) : undefined;
    // Nest's start-up chatter (modules loaded, routes mapped) is debug detail, not news.
    if (level === 'info' && context && QUIET_CONTEXTS.has(context)) level = 'debug';
    const msg = typeof message === 'string' ? message : message instanceof Error ? message.message : JSON.stringify(message);
    if (level === 'error' && typeof params[0] === 'string' && params.length > 1) this.logger.error({ context, stack: params[0] }, msg);
    else this.logger[level]({ context }, msg);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }
}

export const LOGGER = Symbol('LOGGER');
