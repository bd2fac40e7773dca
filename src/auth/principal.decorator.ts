import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthedRequest } from './auth.guard.js';
import type { Principal } from './principal.js';

/** The caller, as the guard authenticated it. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<AuthedRequest>().principal ?? { kind: 'master' },
);
