import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { EntityManager, Repository } from 'typeorm';
import type { AuditActor } from '../audit/actor.js';
import { type AuditAction, AuditService } from '../audit/audit.service.js';
import { mayUseModel, type Principal } from '../auth/principal.js';
import { ApiError } from '../common/api-error.js';
import { maskSecrets } from '../common/secrets.js';
import { ConfigError } from '../config/config.error.js';
import { APP_CONFIG, type AppConfig, type DeploymentConfig, PROXY_ENV } from '../config/config.types.js';
import { parseDeployment } from '../config/deployment.parser.js';
import { DbEventsService } from '../database/db-events.service.js';
import { DecryptError, decryptParams, encryptParams } from './model-crypto.js';
import type { NewModelDto, UpdateModelDto } from './model.dto.js';
import { ModelRegistry } from './model-registry.service.js';
import { ProxyModelEntity } from './proxy-model.entity.js';

export interface ModelView {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info: Record<string, unknown>;
}

/** What /model/info may show anyone allowed to use the model: no secret at any depth, no credentials in URLs. */
function masked(params: Record<string, unknown>): Record<string, unknown> {
  return maskSecrets(params) as Record<string, unknown>;
}

/**
 * Models added live (`STORE_MODEL_IN_DB`): stored in `LiteLLM_ProxyModelTable` with secrets encrypted,
 * merged into the registry at once here and, through NOTIFY, within a moment on every other instance.
 */
@Injectable()
export class ModelsService implements OnModuleInit {
  private readonly logger = new Logger(ModelsService.name);
  /** Raw (decrypted) params of DB models, by id, for /model/info and updates. */
  private dbParams = new Map<string, { row: ProxyModelEntity; params: Record<string, unknown> }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROXY_ENV) private readonly env: NodeJS.ProcessEnv,
    @InjectRepository(ProxyModelEntity) private readonly repo: Repository<ProxyModelEntity>,
    private readonly registry: ModelRegistry,
    private readonly events: DbEventsService,
    private readonly audit: AuditService,
  ) {
    events.subscribe('proxy_model_change', () => {
      if (!this.config.storeModelInDb) return;
      this.reload().catch((err: Error) => this.logger.error(`reloading database models failed: ${err.message}`));
    });
  }

  async onModuleInit(): Promise<void> {
    // A salt key that cannot decrypt stored models stops the boot (ConfigError), never garbage upstream keys.
    if (this.config.storeModelInDb) await this.reload();
  }

  /** Reads every DB model, decrypts and validates it, and swaps the registry's DB set. */
  async reload(): Promise<void> {
    const rows = await this.repo.find({ order: { created_at: 'ASC' } });
    const next = new Map<string, { row: ProxyModelEntity; params: Record<string, unknown> }>();
    const deployments: DeploymentConfig[] = [];
    for (const row of rows) {
      let params: Record<string, unknown>;
      try {
        params = decryptParams(row.litellm_params ?? {}, this.config.saltKey);
      } catch (err) {
        if (err instanceof DecryptError) {
          throw new ConfigError(
            `LITELLM_SALT_KEY cannot decrypt the stored model "${row.model_name}" (id ${row.model_id}): it is not the salt key these models were saved with. Restore the original LITELLM_SALT_KEY.`,
          );
        }
        throw err;
      }
      try {
        deployments.push(
          this.toDeployment(row.model_name, params, { ...(row.model_info ?? {}), id: row.model_id }, `LiteLLM_ProxyModelTable[${row.model_id}]`),
        );
        next.set(row.model_id, { row, params });
      } catch (err) {
        this.logger.error(`skipping invalid database model ${row.model_id}: ${(err as Error).message}`);
      }
    }
    this.dbParams = next;
    this.registry.setDbDeployments(deployments);
  }

  private toDeployment(modelName: string, params: Record<string, unknown>, info: Record<string, unknown>, path: string): DeploymentConfig {
    return parseDeployment({ model_name: modelName, litellm_params: params, model_info: info }, path, this.env, 'db');
  }

  private assertStoreEnabled(): void {
    if (!this.config.storeModelInDb) {
      throw ApiError.badRequest(
        'Adding or changing models through the API needs STORE_MODEL_IN_DB=True (set it in the environment or tokens.env and restart).',
      );
    }
  }

  /** Validates like the config file does; messages name the field (`litellm_params.api_base: …`). */
  private validate(modelName: string, params: Record<string, unknown>, info: Record<string, unknown>): void {
    try {
      this.toDeployment(modelName, params, info, 'model');
    } catch (err) {
      if (err instanceof ConfigError) throw ApiError.badRequest(err.message.replace(/^model\./, ''));
      throw err;
    }
  }

  /** Takes effect here at once; other instances reload on the notice. */
  private async announce(id: string): Promise<void> {
    await this.reload();
    await this.events.changed('proxy_model_change', id);
  }

  /** In the change's transaction; the params as given (decrypted): the audit trail masks their secrets. */
  private record(m: EntityManager, actor: AuditActor, action: AuditAction, id: string, before: ModelView | null, after: ModelView | null): Promise<void> {
    return this.audit.record({ action, table: 'LiteLLM_ProxyModelTable', objectId: id, before, after, actor }, m);
  }

  async create(dto: NewModelDto, actor: AuditActor): Promise<ModelView> {
    this.assertStoreEnabled();
    const info = { ...(dto.model_info ?? {}) };
    const id = typeof info.id === 'string' && info.id !== '' ? info.id : randomUUID();
    this.validate(dto.model_name, dto.litellm_params, { ...info, id });
    if (this.registry.byDeploymentId(id)) throw ApiError.badRequest(`A model with id ${id} already exists`, 'model_info.id');
    const now = new Date();
    const modelInfo = { ...info, id, db_model: true };
    await this.repo.manager.transaction(async (m) => {
      await m.save(
        m.create(ProxyModelEntity, {
          model_id: id,
          model_name: dto.model_name,
          litellm_params: encryptParams(dto.litellm_params, this.config.saltKey),
          model_info: modelInfo,
          created_at: now,
          updated_at: now,
          created_by: 'admin',
          updated_by: 'admin',
        }),
      );
      await this.record(m, actor, 'created', id, null, { model_name: dto.model_name, litellm_params: dto.litellm_params, model_info: modelInfo });
    });
    await this.announce(id);
    return this.view(this.registry.byDeploymentId(id)!);
  }

  private findDb(id: string | undefined): { row: ProxyModelEntity; params: Record<string, unknown> } {
    if (!id) throw ApiError.badRequest('Pass the model id (`model_id`, `model_info.id` or `id`).', 'id');
    const found = this.dbParams.get(id);
    if (found) return found;
    if (this.registry.byDeploymentId(id)?.source === 'config') {
      throw ApiError.badRequest(
        `Model ${id} comes from the config file (${this.config.configPath}); change it there and reload (SIGHUP or POST /config/reload).`,
        'id',
      );
    }
    throw ApiError.notFound(`Model not found: id=${id}`, 'id');
  }

  async update(dto: UpdateModelDto, actor: AuditActor, idFromPath?: string): Promise<ModelView> {
    this.assertStoreEnabled();
    const id = idFromPath ?? dto.model_id ?? (typeof dto.model_info?.id === 'string' ? dto.model_info.id : undefined);
    const { row, params } = this.findDb(id);
    const modelName = dto.model_name ?? row.model_name;
    const nextParams = { ...params, ...(dto.litellm_params ?? {}) };
    const nextInfo = { ...(row.model_info ?? {}), ...(dto.model_info ?? {}), id: row.model_id, db_model: true };
    this.validate(modelName, nextParams, nextInfo);
    await this.repo.manager.transaction(async (m) => {
      await m.save(
        Object.assign(new ProxyModelEntity(), row, {
          model_name: modelName,
          litellm_params: encryptParams(nextParams, this.config.saltKey),
          model_info: nextInfo,
          updated_at: new Date(),
          updated_by: 'admin',
        }),
      );
      const before = { model_name: row.model_name, litellm_params: params, model_info: row.model_info ?? {} };
      await this.record(m, actor, 'updated', row.model_id, before, { model_name: modelName, litellm_params: nextParams, model_info: nextInfo });
    });
    await this.announce(row.model_id);
    return this.view(this.registry.byDeploymentId(row.model_id)!);
  }

  async delete(id: string, actor: AuditActor): Promise<{ message: string; id: string }> {
    this.assertStoreEnabled();
    const { row, params } = this.findDb(id);
    await this.repo.manager.transaction(async (m) => {
      await m.delete(ProxyModelEntity, { model_id: row.model_id });
      await this.record(m, actor, 'deleted', row.model_id, { model_name: row.model_name, litellm_params: params, model_info: row.model_info ?? {} }, null);
    });
    await this.announce(row.model_id);
    return { message: `Model deleted: ${row.model_name} (id ${row.model_id})`, id: row.model_id };
  }

  view(d: DeploymentConfig): ModelView {
    const params =
      d.source === 'db'
        ? (this.dbParams.get(d.id)?.params ?? {})
        : {
            model: d.litellmModel,
            api_base: d.apiBase,
            api_key: d.apiKey,
            timeout: d.timeoutMs === undefined ? undefined : d.timeoutMs / 1000,
            rpm: d.rpm,
            tpm: d.tpm,
            max_parallel_requests: d.maxParallelRequests,
          };
    return {
      model_name: d.modelName,
      litellm_params: masked(Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined))),
      model_info: {
        ...masked(d.modelInfo),
        id: d.id,
        db_model: d.source === 'db',
        input_cost_per_token: d.inputCostPerToken,
        output_cost_per_token: d.outputCostPerToken,
        mode: (d.modelInfo.mode as string | undefined) ?? 'chat',
      },
    };
  }

  info(principal: Principal, id?: string): { data: ModelView[] } {
    const data = this.registry
      .all()
      .filter((d) => mayUseModel(principal, d.modelName, d.accessGroups) && (!id || d.id === id))
      .map((d) => this.view(d));
    return { data };
  }

  groupInfo(principal: Principal, group?: string): { data: Record<string, unknown>[] } {
    const groups = new Map<string, DeploymentConfig[]>();
    for (const d of this.registry.all()) {
      if (!mayUseModel(principal, d.modelName, d.accessGroups) || (group && d.modelName !== group)) continue;
      const list = groups.get(d.modelName) ?? [];
      list.push(d);
      groups.set(d.modelName, list);
    }
    const data = [...groups.entries()].map(([name, ds]) => ({
      model_group: name,
      providers: ['hosted_vllm'],
      models: [...new Set(ds.map((d) => d.upstreamModel))],
      deployments: ds.map((d) => ({ id: d.id, model: d.upstreamModel, db_model: d.source === 'db' })),
      input_cost_per_token: Math.max(...ds.map((d) => d.inputCostPerToken)),
      output_cost_per_token: Math.max(...ds.map((d) => d.outputCostPerToken)),
      rpm: ds.every((d) => d.rpm !== undefined) ? ds.reduce((s, d) => s + (d.rpm ?? 0), 0) : null,
      tpm: ds.every((d) => d.tpm !== undefined) ? ds.reduce((s, d) => s + (d.tpm ?? 0), 0) : null,
      mode: 'chat',
    }));
    return { data };
  }
}
