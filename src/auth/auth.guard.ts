import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { ApiError } from '../common/api-error.js';
import { ACCESS_KEY, type Access } from '../common/public.decorator.js';
import { safeEqual } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig, PROXY_ENV } from '../config/config.types.js';
import { AuthService } from './auth.service.js';
import { extractKey } from './key-extract.js';
import type { Principal } from './principal.js';
import { UiSessionService } from './ui-session.service.js';

export type AuthedRequest = Request & { principal?: Principal };

/**
 * Deny by default: a route without `@Public()` needs a key; `@AdminOnly()` needs the master key.
 * The web UI's session cookie stands for the master key, but only with the UI's CSRF header.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly uiSessions: UiSessionService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROXY_ENV) private readonly env: NodeJS.ProcessEnv,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const access = this.reflector.getAllAndOverride<Access>(ACCESS_KEY, [ctx.getHandler(), ctx.getClass()]) ?? 'admin';
    if (access === 'public') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    if (access === 'metrics') return this.mayScrape(req);
    // A web UI session acts as the master key (its login checked the master key).
    const session = await this.uiSessions.sessionTag(req.headers);
    const principal: Principal = session ? { kind: 'master', uiSession: session } : await this.auth.authenticate(req.headers);
    if (access === 'admin' && principal.kind !== 'master') {
      throw ApiError.forbidden('Only the master key (proxy admin) may call this route.');
    }
    req.principal = principal;
    return true;
  }

  /** /metrics: the master key or the scrape-only METRICS_TOKEN, so Prometheus needs no admin key (no UI session). */
  private mayScrape(req: AuthedRequest): true {
    const key = extractKey(req.headers);
    const token = this.env.METRICS_TOKEN;
    if (key && (safeEqual(key, this.config.masterKey) || (token !== undefined && token !== '' && safeEqual(key, token)))) return true;
    throw ApiError.unauthorized('Authentication Error: /metrics needs the master key or METRICS_TOKEN.');
  }
}
