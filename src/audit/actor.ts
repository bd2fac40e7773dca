import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { AuthedRequest } from '../auth/auth.guard.js';
import { extractKey } from '../auth/key-extract.js';
import type { Principal } from '../auth/principal.js';
import { maskKey } from '../common/secrets.js';

/** Who made a change, as `LiteLLM_AuditLog` records it: `changed_by` and `changed_by_api_key`. */
export interface AuditActor {
  changedBy: string;
  apiKey: string;
}

/** The config file re-read on SIGHUP: no caller, the signal is the actor. */
export const SIGHUP_ACTOR: AuditActor = { changedBy: 'SIGHUP', apiKey: '' };

/**
 * The master key is "master key" with its masked name (`sk-...abcd`, as `key_name` shows keys); a UI
 * session is "ui:admin" with a tag of its session (a prefix of the stored HMAC, never the cookie); a
 * virtual key is its user (or "virtual key") with its masked hash.
 */
export function actorOf(principal: Principal | undefined, key: string | undefined): AuditActor {
  if (!principal || principal.kind === 'master') {
    if (principal?.uiSession) return { changedBy: 'ui:admin', apiKey: `ui-session:${principal.uiSession}` };
    return { changedBy: 'master key', apiKey: key ? maskKey(key) : '' };
  }
  return { changedBy: principal.key.userId ?? 'virtual key', apiKey: `${principal.key.token.slice(0, 8)}…` };
}

/** The caller of an admin route as an audit actor (after the guard). */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor => {
  const req = ctx.switchToHttp().getRequest<AuthedRequest>();
  return actorOf(req.principal, extractKey(req.headers));
});
