import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';

export const ACCESS_KEY = 'proxy:access';
export type Access = 'public' | 'admin' | 'any-key';

/** No key needed (health, docs, the UI shell). */
export const Public = () => SetMetadata(ACCESS_KEY, 'public' satisfies Access);

/** Master key only; documents the bearer scheme in Swagger. */
export const AdminOnly = () =>
  applyDecorators(SetMetadata(ACCESS_KEY, 'admin' satisfies Access), ApiBearerAuth(), ApiSecurity('x-litellm-api-key'));

/** Any valid key, master or virtual. */
export const AnyKey = () =>
  applyDecorators(SetMetadata(ACCESS_KEY, 'any-key' satisfies Access), ApiBearerAuth(), ApiSecurity('x-litellm-api-key'));
