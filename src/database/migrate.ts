import { DataSource } from 'typeorm';
import { ConfigError } from '../config/config.error.js';
import { buildDataSourceOptions, redactUrl } from './database.options.js';

/** Arbitrary constant: one advisory lock id for "model-proxy migrations". */
const MIGRATION_LOCK_ID = 4_100_2026;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so instances booting together
 * on one database take turns instead of racing (TypeORM takes no lock of its own).
 */
export async function runMigrationsLocked(url: string, log: (msg: string) => void): Promise<void> {
  const ds = new DataSource(buildDataSourceOptions(url));
  try {
    await ds.initialize();
  } catch (err) {
    throw new ConfigError(`database unreachable at ${redactUrl(url)}: ${(err as Error).message}`);
  }
  const runner = ds.createQueryRunner();
  try {
    await runner.connect();
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const applied = await ds.runMigrations({ transaction: 'each' });
      if (applied.length > 0) log(`applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
    await ds.destroy();
  }
}
