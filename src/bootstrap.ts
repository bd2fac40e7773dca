import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import { flushLogger, type Logger, PinoNestLogger } from './common/logger.js';
import type { AppConfig } from './config/config.types.js';
import { loadSettings } from './config/settings.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres.js';
import { redactUrl } from './database/database.options.js';
import { runMigrationsLocked } from './database/migrate.js';
import { VERSION } from './common/version.js';
import { addProxyRoutes } from './openapi/proxy-routes.js';
import { ProxyHandler } from './proxy/proxy.handler.js';
import { FrontDoor, type RequestListener } from './server/front-door.js';

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

/**
 * Everything between "process started" and "serving": settings, secrets, database, migrations,
 * Nest, Swagger, the lean /v1 route, the listening socket. Shared by `main.ts` and the tests.
 */
export async function startProxy(env: NodeJS.ProcessEnv = process.env, options: StartOptions = {}): Promise<ProxyApp> {
  const settings = loadSettings(env, options.logger, 'Bootstrap');
  const { logger, log } = settings;

  let embedded: EmbeddedDatabase | undefined;
  if (settings.config.databaseUrl) {
    const source = settings.config.proxy.databaseUrl ? 'general_settings.database_url' : 'DATABASE_URL';
    log(`database: ${source} (${redactUrl(settings.config.databaseUrl)})`);
  } else embedded = await startEmbeddedPostgres(settings.config.dataDir, log);
  // The config is read-only once loaded: the embedded database's URL makes a new one.
  const databaseUrl = embedded?.url ?? settings.config.databaseUrl!;
  const config: AppConfig = { ...settings.config, databaseUrl };
  try {
    await runMigrationsLocked(databaseUrl, log);
    const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, env, logger), new ExpressAdapter(), {
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
    const expressApp = app.getHttpAdapter().getInstance() as RequestListener;
    const door = new FrontDoor(config.http, (req, res) => {
      const endpoint = fast.match(req);
      if (endpoint) fast.handle(req, res, endpoint);
      else expressApp(req, res);
    });
    let port: number;
    try {
      port = await door.listen(config.port, config.host);
    } catch (err) {
      await app.close();
      throw err;
    }
    const url = `http://${config.host}:${port}`;
    log(`Model Proxy ${VERSION} listening on ${url} (${config.proxy.deployments.length} config deployment(s), docs at ${url}/docs, admin UI at ${url}/ui/)`);

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        await door.drain(config.shutdownGraceMs, log);
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
    // Keys are opaque sk-... strings, not JWTs: no bearerFormat. Admin routes list all three (AdminOnly/AnyKey).
    .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <master key or virtual key>' })
    .addSecurity('x-litellm-api-key', { type: 'apiKey', in: 'header', name: 'x-litellm-api-key', description: "LiteLLM's header; wins over Authorization" })
    .addSecurity('api-key', { type: 'apiKey', in: 'header', name: 'api-key', description: 'Azure OpenAI-style header' })
    .build();
  // The /v1 routes are served ahead of Nest (front door): their path items are written by hand.
  // Built on the first request for /docs or /openapi.*, not at boot: ~4 MB of RSS a proxy rarely needs.
  const document = () => addProxyRoutes(SwaggerModule.createDocument(app, doc));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
