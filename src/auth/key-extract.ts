import type { IncomingHttpHeaders } from 'node:http';

const BEARER = /^Bearer\s+(.+)$/i;

/**
 * The key from `x-litellm-api-key`, `Authorization: Bearer` or `api-key` (LiteLLM's three headers).
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
  const azure = headers['api-key'];
  return typeof azure === 'string' && azure.trim() !== '' ? azure.trim() : undefined;
}
