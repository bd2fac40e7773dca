import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.loader.js';

const THEIRS = 'postgres://litellm:pw@db.internal:5432/litellm';
const OURS = 'postgres://postgres@127.0.0.1:5432/proxy';

describe('general_settings.database_url', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const env = (general: Record<string, unknown>, extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
    const dir = mkdtempSync(join(tmpdir(), 'mp-dburl-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'config.yaml'), JSON.stringify({ model_list: [], general_settings: general }));
    return { PROXY_CONFIG: join(dir, 'config.yaml'), LITELLM_MASTER_KEY: 'sk-master-0123456789', TOKENS_ENV: join(dir, 'tokens.env'), ...extra };
  };

  it('is used when DATABASE_URL is unset, os.environ/NAME resolved', () => {
    expect(loadConfig(env({ database_url: 'os.environ/LITELLM_DB' }, { LITELLM_DB: THEIRS })).databaseUrl).toBe(THEIRS);
  });

  it('wins over DATABASE_URL, as in LiteLLM (its proxy_cli writes it into DATABASE_URL)', () => {
    expect(loadConfig(env({ database_url: THEIRS }, { DATABASE_URL: OURS })).databaseUrl).toBe(THEIRS);
  });

  it('absent: DATABASE_URL, else none (the embedded database)', () => {
    expect(loadConfig(env({}, { DATABASE_URL: OURS })).databaseUrl).toBe(OURS);
    expect(loadConfig(env({})).databaseUrl).toBeUndefined();
  });

  it('refuses a value that is not a postgres URL, without echoing it', () => {
    expect(() => loadConfig(env({ database_url: 'mysql://u:secret@h/db' }))).toThrow(/^(?!.*secret).*general_settings\.database_url: must be a postgres/);
  });
});
