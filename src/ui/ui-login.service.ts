import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import { type UiSession, UiSessionService } from '../auth/ui-session.service.js';
import { ApiError, ErrorType } from '../common/api-error.js';
import { safeEqual } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import { LoginThrottle } from './login-throttle.js';

export const UI_USERNAME = 'admin';
const MAX_FAILURES = 5;
const FAILURE_WINDOW_MS = 60_000;

/**
 * The web UI's login: username `admin`, password = the master key; failures are rate-limited per
 * address. The throttle is kept per process, so with `WORKERS=N` (or N instances) an address gets up to
 * N times the tries: it only slows online guessing of a key that should be long and random anyway, and
 * sharing it would cost a database write per failed login.
 */
@Injectable()
export class UiLoginService {
  private readonly throttle = new LoginThrottle(MAX_FAILURES, FAILURE_WINDOW_MS);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: UiSessionService,
  ) {}

  async login(username: string, password: string, ip: string): Promise<UiSession> {
    const wait = this.throttle.retryAfter(ip);
    if (wait > 0) {
      throw new ApiError(429, ErrorType.RateLimit, `Too many failed login attempts. Try again in ${wait} seconds.`, null, { 'retry-after': String(wait) });
    }
    // Both comparisons always run, so the time taken does not tell which one failed.
    const userOk = safeEqual(username, UI_USERNAME);
    const passwordOk = safeEqual(password, this.config.masterKey);
    if (!(userOk && passwordOk)) {
      this.throttle.fail(ip);
      throw ApiError.unauthorized('Invalid username or password.');
    }
    this.throttle.succeed(ip);
    return this.sessions.create();
  }

  current(headers: IncomingHttpHeaders): Promise<UiSession | undefined> {
    return this.sessions.fromCookie(headers);
  }

  async logout(headers: IncomingHttpHeaders): Promise<void> {
    const session = await this.sessions.fromCookie(headers);
    if (session) await this.sessions.destroy(session.id);
  }
}
