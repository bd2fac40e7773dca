import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, type DeploymentConfig, type ProxyFileConfig, type RouterSettings, type RoutingRules } from '../config/config.types.js';

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
  /** Access groups (`model_info.access_groups`) of each alias, over all its deployments. */
  private groupsByAlias = new Map<string, string[]>();
  private readonly listeners: Array<(changedIds: string[]) => void> = [];

  /** The config file's router settings: reloadable, so owned here rather than read from the boot config. */
  private routerSettings: RouterSettings;
  private routingRules: RoutingRules;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.configDeployments = config.proxy.deployments;
    this.routerSettings = config.proxy.router;
    this.routingRules = config.proxy.rules;
    this.rebuild();
  }

  get router(): RouterSettings {
    return this.routerSettings;
  }

  /** Fallbacks and `model_group_alias` of the config file as last (re)loaded. */
  get rules(): RoutingRules {
    return this.routingRules;
  }

  /** The alias a name is served by: itself, or its `model_group_alias` target (LiteLLM resolves it in the router). */
  resolve(name: string): string {
    if (this.byAlias.has(name)) return name;
    return this.routingRules.modelGroupAlias.get(name)?.target ?? name;
  }

  /** What /v1/models lists: every alias, and each `model_group_alias` name whose target exists unless `hidden`. */
  listedNames(): string[] {
    const names = this.aliases();
    for (const [name, { target, hidden }] of this.routingRules.modelGroupAlias) {
      if (!hidden && this.byAlias.has(target) && !this.byAlias.has(name)) names.push(name);
    }
    return names;
  }

  /** The access groups an alias belongs to (`model_info.access_groups` of its deployments). */
  accessGroupsOf(alias: string): readonly string[] {
    return this.groupsByAlias.get(alias) ?? [];
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
    this.routingRules = next.rules;
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
    const groupsByAlias = new Map<string, string[]>();
    for (const d of byId.values()) {
      if (d.accessGroups.length === 0) continue;
      groupsByAlias.set(d.modelName, [...new Set([...(groupsByAlias.get(d.modelName) ?? []), ...d.accessGroups])]);
    }
    this.byAlias = byAlias;
    this.byId = byId;
    this.groupsByAlias = groupsByAlias;
    if (changed.length > 0) for (const listener of this.listeners) listener(changed.map((d) => d.id));
  }
}
