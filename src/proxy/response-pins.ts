import type { Principal } from '../auth/principal.js';
import type { DeploymentConfig } from '../config/config.types.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import { mayCall } from './model-alias.js';

/** Response ids remembered per process: enough for the responses of the last hours of a busy server. */
const MAX_PINS = 100_000;

/**
 * Which deployment created each response (vLLM keeps a stored response, and what a follow-up's
 * `previous_response_id` refers to, on the server that made it). Oldest ids are forgotten first;
 * an id this instance never saw is found by asking the deployments (see ProxyHandler).
 */
export class ResponsePins {
  private readonly pins = new Map<string, string>();

  constructor(private readonly max = MAX_PINS) {}

  pin(responseId: string, deploymentId: string): void {
    this.pins.delete(responseId);
    this.pins.set(responseId, deploymentId);
    if (this.pins.size > this.max) this.pins.delete(this.pins.keys().next().value!);
  }

  /** The deployment that holds `responseId`, while it is still configured. */
  deploymentOf(responseId: unknown, registry: ModelRegistry): DeploymentConfig | undefined {
    if (typeof responseId !== 'string') return undefined;
    const id = this.pins.get(responseId);
    return id === undefined ? undefined : registry.byDeploymentId(id);
  }
}

/** Every deployment of an alias `principal` may call, in config order: where an unknown response id may live. */
export function deploymentsFor(principal: Principal, registry: ModelRegistry): DeploymentConfig[] {
  return registry.all().filter((d) => mayCall(principal, { requested: d.modelName, name: d.modelName, alias: d.modelName }, registry));
}
