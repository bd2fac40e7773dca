import type { IncomingHttpHeaders } from 'node:http';

/** The key from `Authorization: Bearer`, `x-litellm-api-key` or `api-key` (LiteLLM's three headers). */
export function extractKey(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.length > 0) {
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    return (m ? m[1] : auth).trim() || undefined;
  }
  const alt = headers['x-litellm-api-key'] ?? headers['api-key'];
  return typeof alt === 'string' && alt.trim() !== '' ? alt.trim() : undefined;
}
