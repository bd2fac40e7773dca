import 'reflect-metadata';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { flushLogger, type Logger, PinoNestLogger } from './common/logger.js';
import { ConfigError } from './config/config.error.js';
import type { AppConfig } from './config/config.types.js';
import { loadSettings } from './config/settings.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres.js';
import { runMigrationsLocked } from './database/migrate.js';
import { VERSION } from './health/health.service.js';
import { ProxyHandler } from './proxy/proxy.handler.js';

export interface ProxyApp {
  app: NestExpressApplication;
  config: AppConfig;
  /** `http://host:port` once listening. */
  url: string;
  /** Stops accepting, drains in-flight requests (grace period), flushes, closes the pool, stops the embedded DB. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** A pino logger (tests capture output this way), or false for silence. Default: JSON lines, pretty on a TTY. */
  logger?: Logger | false;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(
        err.code === 'EADDRINUSE'
          ? new ConfigError(`port ${port} on ${host} is already in use (another proxy running? set PORT to choose another)`)
          : new ConfigError(`cannot listen on ${host}:${port}: ${err.message}`),
      );
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Everything between "process started" and "serving": settings, secrets, database, migrations,
 * Nest, Swagger, the lean /v1 route, the listening socket. Shared by `main.ts` and the tests.
 */
export async function startProxy(env: NodeJS.ProcessEnv = process.env, options: StartOptions = {}): Promise<ProxyApp> {
  const { config, logger, log } = loadSettings(env, options.logger, 'Bootstrap');

  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = await startEmbeddedPostgres(config.dataDir, log);
    config.databaseUrl = embedded.url;
  }
  try {
    await runMigrationsLocked(config.databaseUrl, log);
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, env, logger), {
      logger: new PinoNestLogger(logger),
      abortOnError: false,
    });
    app.set('trust proxy', 'loopback');
    app.disable('x-powered-by');
    // Case-sensitive, strict routes: `/METRICS` or `/metrics/` must not slip past a path rule in front
    // of the proxy that blocks `/metrics`. Express copies its `case sensitive routing` and `strict
    // routing` settings into the router when it creates it, which Nest's adapter already did; the
    // router reads them as each route is added (app.init below).
    Object.assign((app.getHttpAdapter().getInstance() as { router: object }).router, { caseSensitive: true, strict: true });
    setupSwagger(app);
    await app.init();

    // The OpenAI POST routes are answered straight off node:http, ahead of Express and Nest's pipeline.
    const fast = app.get(ProxyHandler);
    const server: Server = app.getHttpServer();
    const expressApp = app.getHttpAdapter().getInstance() as (req: IncomingMessage, res: ServerResponse) => void;
    let inFlight = 0;
    let idle: (() => void) | undefined;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      inFlight++;
      res.once('close', () => {
        if (--inFlight === 0 && idle) idle();
      });
      const endpoint = fast.match(req);
      if (endpoint) fast.handle(req, res, endpoint);
      else expressApp(req, res);
    });
    // Streams can run for minutes; only idle keep-alive sockets are timed out.
    server.requestTimeout = 0;
    server.keepAliveTimeout = 65_000;
    try {
      await listen(server, config.port, config.host);
    } catch (err) {
      await app.close();
      throw err;
    }
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const url = `http://${config.host}:${port}`;
    log(`Model Proxy ${VERSION} listening on ${url} (${config.proxy.deployments.length} config deployment(s), docs at ${url}/docs)`);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        server.close();
        server.closeIdleConnections();
        if (inFlight > 0) {
          log(`draining ${inFlight} in-flight request(s) (up to ${config.shutdownGraceMs} ms)`);
          await new Promise<void>((resolve) => {
            idle = resolve;
            setTimeout(resolve, config.shutdownGraceMs).unref();
          });
        }
        server.closeAllConnections();
        await app.close();
        await embedded?.stop();
        log('stopped');
        await flushLogger(logger);
      })());
    return { app, config, url, close };
  } catch (err) {
    await embedded?.stop().catch(() => undefined);
    throw err;
  }
}

function setupSwagger(app: NestExpressApplication): void {
  const doc = new DocumentBuilder()
    .setTitle('Model Proxy')
    .setDescription('OpenAI-compatible gateway in front of vLLM, with the LiteLLM proxy admin API (keys, models, spend).')
    .setVersion(VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The master key or a virtual key (sk-...)' })
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-litellm-api-key' }, 'x-litellm-api-key')
    .build();
  const document = SwaggerModule.createDocument(app, doc);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
