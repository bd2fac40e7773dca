import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL with rights to CREATE DATABASE; each test file makes its own database. */
    pgAdminUrl: string;
  }
}

let embedded: EmbeddedDatabase | undefined;
let dir: string | undefined;

/** Tests use `DATABASE_URL` when set (CI points it at the machine's server), else an embedded PostgreSQL. */
export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    dir = mkdtempSync(join(tmpdir(), 'mp-test-pg-'));
    // The server runs as the `postgres` user when tests run as root: it must be able to enter the directory.
    chmodSync(dir, 0o755);
    embedded = await startEmbeddedPostgres(dir, () => undefined);
    url = embedded.url;
  }
  project.provide('pgAdminUrl', url);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
