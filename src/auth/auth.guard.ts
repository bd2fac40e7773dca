import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiError } from '../common/api-error.js';
import { ACCESS_KEY, type Access } from '../common/public.decorator.js';
import { AuthService } from './auth.service.js';
import type { Principal } from './principal.js';

export type AuthedRequest = Request & { principal?: Principal };

/** Deny by default: a route without `@Public()` needs a key; `@AdminOnly()` needs the master key. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<Access>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]) ?? 'admin';
    if (access === 'public') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    const principal = await this.auth.authenticate(req.headers);
    if (access === 'admin' && principal.kind !== 'master') {
      throw ApiError.forbidden('Only the master key (proxy admin) may call this route.');
    }
    req.principal = principal;
    return true;
  }
}
