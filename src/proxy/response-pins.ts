import type { Principal } from '../auth/principal.js';
import type { DeploymentConfig } from '../config/config.types.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import { mayCallAlias } from './model-alias.js';

// vLLM keeps a stored response (and what a follow-up's `previous_response_id` refers to) on the server
// that made it, and names the response after the request's `request_id` body field (vLLM's
// ResponsesRequest.request_id; ResponsesResponse.from_request sets `id` from it). So the proxy names
// each response itself, after its call id and the deployment it sent it to: any instance reads where a
// response lives from its id alone, with nothing to share or remember (LiteLLM encodes the deployment
// into the id it returns for the same reason).

const PINNED = /^resp_[0-9a-f-]{36}_([A-Za-z0-9_-]{1,160})$/;

/** The `request_id` (and so the response id) for a response created by call `callId` on `dep`. */
export function responseIdFor(callId: string, dep: DeploymentConfig): string {
  return `resp_${callId}_${Buffer.from(dep.id).toString('base64url')}`;
}

/** The deployment a response id names, while it is still configured; undefined for ids the proxy did not make. */
export function deploymentOfResponse(responseId: unknown, registry: ModelRegistry): DeploymentConfig | undefined {
  if (typeof responseId !== 'string') return undefined;
  const m = PINNED.exec(responseId);
  return m ? registry.byDeploymentId(Buffer.from(m[1], 'base64url').toString('utf8')) : undefined;
}

/** Every deployment of an alias `principal` may call, in config order: where an unknown response id may live. */
export function deploymentsFor(principal: Principal, registry: ModelRegistry): DeploymentConfig[] {
  return registry.all().filter((d) => mayCallAlias(principal, d.modelName, registry));
}
