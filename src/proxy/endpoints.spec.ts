import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { DeploymentConfig } from '../config/config.types.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import { CANCEL_RESPONSE, GET_RESPONSE, matchEndpoint, responseIdOf, servedRoutes } from './endpoints.js';

const req = (method: string, url: string) => ({ method, url }) as IncomingMessage;

describe('the endpoint table', () => {
  it('serves the vLLM routes at their own paths, inside and outside /v1', () => {
    expect(matchEndpoint(req('POST', '/v1/rerank'))).toMatchObject({ upstreamPath: '/rerank', base: 'v1', callType: 'arerank' });
    expect(matchEndpoint(req('POST', '/v2/rerank'))).toMatchObject({ upstreamPath: '/v2/rerank', base: 'root' });
    expect(matchEndpoint(req('POST', '/tokenize?x=1'))).toMatchObject({ upstreamPath: '/tokenize', base: 'root', callType: 'atokenize' });
    expect(matchEndpoint(req('POST', '/v1/audio/transcriptions'))).toMatchObject({ body: 'multipart', callType: 'atranscription' });
    expect(matchEndpoint(req('POST', '/v1/messages'))).toMatchObject({ callType: 'anthropic_messages', generates: true });
    expect(matchEndpoint(req('GET', '/v1/chat/completions'))).toBeUndefined();
    expect(matchEndpoint(req('POST', '/V1/rerank'))).toBeUndefined();
  });

  it('addresses stored responses by id', () => {
    expect(matchEndpoint(req('GET', '/v1/responses/resp_1'))).toBe(GET_RESPONSE);
    expect(matchEndpoint(req('GET', '/responses/resp_1?stream=true'))).toBe(GET_RESPONSE);
    expect(matchEndpoint(req('POST', '/v1/responses/resp_1/cancel'))).toBe(CANCEL_RESPONSE);
    expect(matchEndpoint(req('GET', '/v1/responses/resp_1/cancel'))).toBeUndefined();
    expect(matchEndpoint(req('GET', '/v1/responses/a/b'))).toBeUndefined();
    expect(responseIdOf('/v1/responses/resp_9?stream=true')).toEqual({ id: 'resp_9', cancel: false });
  });

  it('lists every route once', () => {
    const keys = servedRoutes().map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain('GET /v1/responses/{response_id}');
  });
});

describe('response ids that name their deployment', () => {
  it('round-trips the deployment through the id, and ignores ids the proxy did not make', async () => {
    const { deploymentOfResponse, responseIdFor } = await import('./response-pins.js');
    const dep = { id: 'pin-b/ü' } as DeploymentConfig;
    const registry = { byDeploymentId: (id: string) => (id === dep.id ? dep : undefined) } as unknown as ModelRegistry;
    const id = responseIdFor('0f8c5c1e-2b7a-4d1e-9a43-5d9a1c2b3e4f', dep);
    expect(id).toMatch(/^resp_0f8c5c1e-2b7a-4d1e-9a43-5d9a1c2b3e4f_[A-Za-z0-9_-]+$/);
    expect(responseIdOf(`/v1/responses/${id}`)?.id).toBe(id);
    expect(deploymentOfResponse(id, registry)).toBe(dep);
    expect(deploymentOfResponse('resp_0123456789abcdef0123456789abcdef', registry)).toBeUndefined();
    expect(deploymentOfResponse(42, registry)).toBeUndefined();
  });
});
