import pg from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
/*
 * LiteLLM's tables (Prisma's DDL) hold naive `timestamp(3)` values meaning UTC. Every session runs in
 * UTC (so casts between timestamptz and timestamp, `now()` defaults and `AT TIME ZONE 'UTC'` agree),
 * Dates are sent as UTC, and naive values are read as UTC, whatever the host's TZ.
 */
pg.defaults.parseInputDatesAsUTC = true;
pg.types.setTypeParser(pg.types.builtins.TIMESTAMP, (text: string) => new Date(`${text.replace(' ', 'T')}Z`));

/** Default bound on one statement of the app's pool (`DB_STATEMENT_TIMEOUT_MS`); migrations are not bound. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * The one place for database options, used by the app, the migration runner and `ormconfig.ts`. No
 * entities here: the app loads those its modules register (`forFeature`, `autoLoadEntities`), the
 * migration CLI adds them all (`ALL_ENTITIES`). `statementTimeoutMs`
 * (the app's pool): PostgreSQL cancels a statement running longer (SQLSTATE 57014), so a lock or a
 * stuck query cannot hold a connection, and the spend writer, forever.
 */
export function buildDataSourceOptions(url: string, statementTimeoutMs = 0): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'model_proxy_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: 10,
      connectionTimeoutMillis: 5000,
      application_name: 'model-proxy',
      options: '-c TimeZone=UTC',
      ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    },
  };
}

/** `postgres://user:***@host:port/db`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured DATABASE_URL';
  }
}
