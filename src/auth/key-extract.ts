import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^Bearer\s+(.+)$/i;

/**
 * The key from `x-litellm-api-key`, `Authorization: Bearer`, `api-key` or `x-api-key` (LiteLLM's headers).
 * As in LiteLLM, `x-litellm-api-key` wins over `Authorization` (it exists for clients whose
 * `Authorization` carries another token) and may itself carry a `Bearer ` prefix.
 */
export function extractKey(headers: IncomingHttpHeaders): string | undefined {
  const litellm = headers['x-litellm-api-key'];
  if (typeof litellm === 'string' && litellm.trim() !== '') return (BEARER.exec(litellm.trim())?.[1] ?? litellm).trim();
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.length > 0) {
    const m = BEARER.exec(auth);
    return (m ? m[1] : auth).trim() || undefined;
  }
  // Azure OpenAI's header, then Anthropic's (what clients of /v1/messages send).
  for (const name of ['api-key', 'x-api-key']) {
    const value = headers[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}
