import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponse } from './error-response.dto.js';

export const ACCESS_KEY = 'proxy:access';
export type Access = 'public' | 'admin' | 'any-key' | 'metrics';

/** The security schemes of /openapi.json (declared in bootstrap's setupSwagger): any one of them carries the key. */
export const SECURITY_SCHEMES = ['bearer', 'x-litellm-api-key', 'api-key'] as const;

const keyed = (access: Access, unauthorized: string, forbidden?: string) =>
  applyDecorators(
    SetMetadata(ACCESS_KEY, access),
    ...SECURITY_SCHEMES.map((s) => ApiSecurity(s)),
    ApiUnauthorizedResponse({ type: ErrorResponse, description: unauthorized }),
    ...(forbidden ? [ApiForbiddenResponse({ type: ErrorResponse, description: forbidden })] : []),
  );

/** No key needed (health, docs, the UI shell). */
export const Public = () => SetMetadata(ACCESS_KEY, 'public' satisfies Access);

/** Master key only; documents the security schemes and the 401/403 envelopes in Swagger. */
export const AdminOnly = () => keyed('admin', 'No key, or an unknown, blocked or expired key', 'A virtual key: this route needs the master key');

/** Any valid key, master or virtual; `forbidden` documents a 403 when the route refuses some keys. */
export const AnyKey = (opts: { forbidden?: string } = {}) => keyed('any-key', 'No key, or an unknown, blocked or expired key', opts.forbidden);

/** The master key or the scrape-only METRICS_TOKEN (checked by the guard), so Prometheus needs no admin key. */
export const MetricsScrape = () => keyed('metrics', 'Neither the master key nor METRICS_TOKEN');
