import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ConfigError } from './config.error.js';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;

/** Parses `KEY=VALUE` lines (quotes optional, `#` comments). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(raw)) continue;
    const m = LINE.exec(raw);
    if (!m) continue;
    let value = m[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[m[1]] = value;
  }
  return out;
}

/** The secrets file: `TOKENS_ENV`, default `./tokens.env`. */
export function tokensEnvPath(env: NodeJS.ProcessEnv): string {
  return env.TOKENS_ENV || 'tokens.env';
}

/** Refuses a secrets file that users other than its owner may read or write. */
function assertPrivate(path: string): void {
  if (process.platform === 'win32') return;
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(
      `${path} holds secrets but is open to other users (mode ${mode.toString(8).padStart(4, '0')}); run \`chmod 600 ${path}\` and start again`,
    );
  }
}

/** Loads `tokens.env` into `env` without overriding what is already set; it must be mode 0600 (or stricter). */
export function loadTokensEnv(path: string, env: NodeJS.ProcessEnv): void {
  if (!existsSync(path)) return;
  let text: string;
  try {
    assertPrivate(path);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`cannot read ${path}: ${(err as Error).message}`);
  }
  for (const [k, v] of Object.entries(parseEnvFile(text))) {
    if (env[k] === undefined) env[k] = v;
  }
}

/**
 * First start with no master key anywhere: mint the master and salt keys and keep them in
 * `tokens.env` (mode 0600). Returns the path written, or undefined when nothing was needed.
 */
export function ensureSecrets(path: string, env: NodeJS.ProcessEnv): string | undefined {
  if (env.LITELLM_MASTER_KEY) return undefined;
  const lines: string[] = [];
  env.LITELLM_MASTER_KEY = `sk-fc-${randomBytes(24).toString('hex')}`;
  lines.push(`LITELLM_MASTER_KEY=${env.LITELLM_MASTER_KEY}`);
  if (!env.LITELLM_SALT_KEY) {
    env.LITELLM_SALT_KEY = `sk-salt-${randomBytes(24).toString('hex')}`;
    lines.push(`LITELLM_SALT_KEY=${env.LITELLM_SALT_KEY}`);
  }
  try {
    if (existsSync(path)) {
      appendFileSync(path, `\n${lines.join('\n')}\n`);
    } else {
      writeFileSync(path, `# Written by Model Proxy on first start. Keep it secret; never change the salt key once models are stored.\n${lines.join('\n')}\n`, {
        mode: 0o600,
      });
    }
    chmodSync(path, 0o600);
  } catch (err) {
    throw new ConfigError(`cannot write ${path} for the new master key: ${(err as Error).message}`);
  }
  return path;
}
