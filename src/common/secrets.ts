import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex of a key: what LiteLLM stores in `token`. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Constant-time string comparison (digests first, so lengths leak nothing). */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

/** LiteLLM's masked key name: `sk-...<last4>`. */
export function maskKey(key: string): string {
  return `sk-...${key.slice(-4)}`;
}

const SECRET_NAME = /key|secret|token|password|authorization/i;

/** Replaces secret-looking fields with a mask, for logs and API answers. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_NAME.test(k) && v != null && typeof v !== 'object' ? '***' : redact(v);
    }
    return out;
  }
  return value;
}
