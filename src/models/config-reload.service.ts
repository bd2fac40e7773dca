import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AuditActor, SIGHUP_ACTOR } from '../audit/actor.js';
import { AuditService } from '../audit/audit.service.js';
import { ApiError } from '../common/api-error.js';
import { maskUrl } from '../common/secrets.js';
import { ConfigError } from '../config/config.error.js';
import { loadProxyConfigFile } from '../config/config.loader.js';
import { APP_CONFIG, type AppConfig, type DeploymentConfig, PROXY_ENV } from '../config/config.types.js';
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
    private readonly audit: AuditService,
  ) {}

  /** The new config serves before this returns its promise; the promise settles once the audit entry is written (or queued). */
  async reload(actor: AuditActor = SIGHUP_ACTOR): Promise<{ message: string; deployments: number }> {
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
    const before = this.configFileView();
    this.registry.setConfigFile(next);
    const unsupported = unsupportedWarning(this.config.configPath, next.unsupported);
    if (unsupported) this.logger.warn(unsupported);
    const message = `config reloaded from ${this.config.configPath}: ${next.deployments.length} deployment(s)`;
    this.logger.log(message);
    await this.audit.record({ action: 'reloaded', table: 'config_file', objectId: this.config.configPath, before, after: this.configFileView(), actor });
    return { message, deployments: next.deployments.length };
  }

  /** What the audit trail keeps of the config file: its deployments (no secrets) and router settings. */
  private configFileView(): Record<string, unknown> {
    const deployment = (d: DeploymentConfig) => ({ id: d.id, model_name: d.modelName, model: d.litellmModel, api_base: maskUrl(d.apiBase) });
    return {
      model_list: this.registry
        .all()
        .filter((d) => d.source === 'config')
        .map(deployment),
      router_settings: this.registry.router,
    };
  }
}
