import { Inject, Injectable, Logger } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';
import { ConfigError } from '../config/config.error.js';
import { loadProxyConfigFile } from '../config/config.loader.js';
import { APP_CONFIG, type AppConfig, PROXY_ENV } from '../config/config.types.js';
import { unsupportedWarning } from '../config/supported-settings.js';
import { ModelRegistry } from './model-registry.service.js';

/**
 * Re-reads the config file without a restart (SIGHUP or POST /config/reload). An invalid file is
 * refused with the same message as at boot and the running config keeps serving; in-flight
 * requests keep the deployment they started on.
 */
@Injectable()
export class ConfigReloadService {
  private readonly logger = new Logger(ConfigReloadService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROXY_ENV) private readonly env: NodeJS.ProcessEnv,
    private readonly registry: ModelRegistry,
  ) {}

  reload(): { message: string; deployments: number } {
    let next;
    try {
      next = loadProxyConfigFile(this.config.configPath, this.env);
    } catch (err) {
      if (err instanceof ConfigError) {
        this.logger.error(`config reload refused, still serving the previous config: ${err.message}`);
        throw ApiError.badRequest(`${err.message} (the previous config is still serving)`);
      }
      throw err;
    }
    this.registry.setConfigFile(next);
    const unsupported = unsupportedWarning(this.config.configPath, next.unsupported);
    if (unsupported) this.logger.warn(unsupported);
    const message = `config reloaded from ${this.config.configPath}: ${next.deployments.length} deployment(s)`;
    this.logger.log(message);
    return { message, deployments: next.deployments.length };
  }
}
