import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config/config.error.js';

/** What versions before the password file used for every embedded PostgreSQL. */
export const LEGACY_PASSWORD = 'model-proxy';

/** The embedded PostgreSQL's password lives next to its cluster: `<dataDir>/postgres.password`, mode 0600. */
export function passwordPath(dataDir: string): string {
  return join(dataDir, 'postgres.password');
}

/** Hex, so it needs no quoting in a URL or in SQL. */
export function newPassword(): string {
  return randomBytes(24).toString('hex');
}

export function readPassword(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    // Our own file: if something loosened it, tighten it again rather than refuse to start.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    const password = readFileSync(path, 'utf8').trim();
    return password === '' ? undefined : password;
  } catch (err) {
    throw new ConfigError(`cannot read the embedded PostgreSQL password from ${path}: ${(err as Error).message}`);
  }
}

/** Written whole or not at all (temp file, then rename), so a crash never leaves half a password. */
export function writePassword(path: string, password: string): void {
  const tmp = `${path}.tmp`;
  try {
    writeFileSync(tmp, `${password}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
  } catch (err) {
    throw new ConfigError(`cannot write the embedded PostgreSQL password to ${path}: ${(err as Error).message}`);
  }
}
