import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type DeploymentConfig, type ProxyFileConfig, type RouterSettings } from '../config/config.types.js';

/**
 * One view of every deployment, from the config file and (when enabled) the database, by alias.
 * Readers get immutable snapshots: a request keeps the deployment it started on while the set changes.
 */
@Injectable()
export class ModelRegistry {
  private configDeployments: DeploymentConfig[];
  private dbDeployments: DeploymentConfig[] = [];
  private byAlias = new Map<string, DeploymentConfig[]>();
  private byId = new Map<string, DeploymentConfig>();
  private readonly listeners: Array<(changedIds: string[]) => void> = [];

  /** The config file's router settings: reloadable, so owned here rather than read from the boot config. */
  private routerSettings: RouterSettings;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.configDeployments = config.proxy.deployments;
    this.routerSettings = config.proxy.router;
    this.rebuild();
  }

  get router(): RouterSettings {
    return this.routerSettings;
  }

  /** Deployments serving an alias (empty when unknown). */
  group(alias: string): readonly DeploymentConfig[] {
    return this.byAlias.get(alias) ?? [];
  }

  has(alias: string): boolean {
    return this.byAlias.has(alias);
  }

  aliases(): string[] {
    return [...this.byAlias.keys()];
  }

  all(): readonly DeploymentConfig[] {
    return [...this.configDeployments, ...this.dbDeployments];
  }

  byDeploymentId(id: string): DeploymentConfig | undefined {
    return this.byId.get(id);
  }

  /** Called with the ids of deployments that are new or point somewhere else after a change. */
  onChange(listener: (changedIds: string[]) => void): void {
    this.listeners.push(listener);
  }

  /** A reloaded config file: its deployments and router settings replace the previous ones. */
  setConfigFile(next: ProxyFileConfig): void {
    this.routerSettings = next.router;
    this.configDeployments = next.deployments;
    this.rebuild();
  }

  setDbDeployments(deployments: DeploymentConfig[]): void {
    this.dbDeployments = deployments;
    this.rebuild();
  }

  private rebuild(): void {
    const byAlias = new Map<string, DeploymentConfig[]>();
    const byId = new Map<string, DeploymentConfig>();
    for (const d of this.all()) {
      const list = byAlias.get(d.modelName);
      if (list) list.push(d);
      else byAlias.set(d.modelName, [d]);
      byId.set(d.id, d);
    }
    const target = (d: DeploymentConfig) => `${d.apiBase}\n${d.upstreamModel}\n${d.apiKey ?? ''}`;
    const changed = [...byId.values()].filter((d) => {
      const before = this.byId.get(d.id);
      return !before || target(before) !== target(d);
    });
    this.byAlias = byAlias;
    this.byId = byId;
    if (changed.length > 0) for (const listener of this.listeners) listener(changed.map((d) => d.id));
  }
}
