import { mayUseModel, type Principal } from '../auth/principal.js';
import type { ModelRegistry } from '../models/model-registry.service.js';

/** A requested model name, as LiteLLM resolves it: the key's `aliases`, then `model_group_alias`. */
export interface ResolvedModel {
  /** What the client sent. */
  requested: string;
  /** After the key's own alias (LiteLLM rewrites `model` to it): the spend row's `model_group`. */
  name: string;
  /** The alias whose deployments serve it (`model_group_alias` resolved). */
  alias: string;
}

export function resolveModel(principal: Principal, requested: string, registry: ModelRegistry): ResolvedModel {
  const keyAlias = principal.kind === 'virtual' ? principal.key.aliases[requested] : undefined;
  const name = keyAlias ?? requested;
  return { requested, name, alias: registry.resolve(name) };
}

/**
 * LiteLLM's `_can_object_call_model`: the key may call a name when its `models` allow the name itself
 * or what it maps to (the key's alias, else the `model_group_alias` target), directly or through one
 * of that alias's access groups.
 */
export function mayCall(principal: Principal, model: ResolvedModel, registry: ModelRegistry): boolean {
  if (principal.kind === 'master') return true;
  const target = model.name !== model.requested ? model.name : model.alias;
  const names = target === model.requested ? [target] : [model.requested, target];
  return names.some((n) => mayUseModel(principal, n, registry.accessGroupsOf(registry.resolve(n))));
}

/** mayCall for an alias named as it is (a deployment's own `model_name`). */
export function mayCallAlias(principal: Principal, alias: string, registry: ModelRegistry): boolean {
  return mayCall(principal, { requested: alias, name: alias, alias }, registry);
}
