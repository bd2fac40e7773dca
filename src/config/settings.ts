import cluster from 'node:cluster';
import { createLogger, type Logger } from '../common/logger.js';
import { loadConfig } from './config.loader.js';
import type { AppConfig } from './config.types.js';
import { unsupportedWarning } from './supported-settings.js';
import { ensureSecrets, loadTokensEnv, tokensEnvPath } from './tokens-env.js';

export interface Settings {
  config: AppConfig;
  logger: Logger;
  /** An info line under the given context. */
  log(msg: string): void;
}

/**
 * What every serving process starts from: `tokens.env` loaded, first-start secrets written, the config
 * validated, the logger. With `WORKERS=N` the primary runs it once, before forking, so the workers
 * inherit one master and salt key and a config already known to be valid.
 */
export function loadSettings(env: NodeJS.ProcessEnv, logger: Logger | false | undefined, context: string): Settings {
  const tokensPath = tokensEnvPath(env);
  loadTokensEnv(tokensPath, env);
  const written = ensureSecrets(tokensPath, env);
  const config = loadConfig(env);
  const out = logger === false ? createLogger('silent', false) : (logger ?? createLogger(config.logLevel));
  const log = (msg: string) => out.info({ context }, msg);
  const unsupported = unsupportedWarning(config.configPath, config.proxy.unsupported);
  // With WORKERS the primary has said it already.
  if (unsupported && !cluster.isWorker) out.warn({ context }, unsupported);
  if (written) log(`no master key found: wrote a new LITELLM_MASTER_KEY and LITELLM_SALT_KEY to ${config.tokensEnvPath} (mode 0600)`);
  return { config, logger: out, log };
}
