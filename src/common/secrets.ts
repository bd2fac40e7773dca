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

/**
 * Names of fields that hold secrets: `api_key`, `X-Api-Key`, `aws_secret_access_key`, `Authorization`,
 * `vertex_credentials`, `access_token`, `db_password`... but not `max_tokens` or `input_cost_per_token`.
 */
const SECRET_NAME = /key|secret|passw|authori[sz]ation|credential|cookie|signature|(^|[^a-z])(?<!per_)token($|[^a-z])|(^|_)auth($|_)/i;
/** Values that are secrets whatever their field is called. */
const SECRET_VALUE = /^\s*(bearer|basic)\s+\S|\bsk-[\w-]{4,}/i;
const URL_WITH_SCHEME = /^[a-z][a-z\d+.-]*:\/\//i;

/** `http://user:pass@host/v1?api_key=x` → `http://***:***@host/v1?api_key=***`; other strings unchanged. */
export function maskUrl(value: string): string {
  if (!URL_WITH_SCHEME.test(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  const secretParams = [...new Set(url.searchParams.keys())].filter((name) => SECRET_NAME.test(name));
  // Rebuilt only when something is masked, so other URLs read exactly as written.
  if (!url.username && !url.password && secretParams.length === 0) return value;
  if (url.username) url.username = '***';
  if (url.password) url.password = '***';
  for (const name of secretParams) url.searchParams.set(name, '***');
  return url.toString().replace(/%2A/g, '*');
}

/**
 * A deep copy of `value` for API answers: string values of secret-looking fields, anywhere, become
 * `mask`; so do strings that look like a key or an auth header; URLs lose their credentials.
 */
export function maskSecrets(value: unknown, mask = '********'): unknown {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, mask));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // A secret field's whole value goes, even a structure (`vertex_credentials: {…}`); numbers and
      // flags stay (`max_key_length`).
      out[k] = SECRET_NAME.test(k) && (typeof v === 'string' ? v !== '' : typeof v === 'object' && v !== null) ? mask : maskSecrets(v, mask);
    }
    return out;
  }
  if (typeof value === 'string') return SECRET_VALUE.test(value) ? mask : maskUrl(value);
  return value;
}

/**
 * A request path fit for the log: a segment holding a key (`sk-…`, or whatever sits in
 * `/key/{key}/regenerate`) is masked as `sk-...<last4>`; query strings are never logged at all.
 */
export function redactPath(path: string): string {
  const segments = path.split('/');
  return segments
    .map((segment, i) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        decoded = segment;
      }
      if (segments[i - 1] === 'key' && segments[i + 1] === 'regenerate' && !/^[\da-f]{64}$/.test(decoded))
        return decoded.startsWith('sk-') ? maskKey(decoded) : '***';
      return /sk-[\w-]{4,}/i.test(decoded) ? decoded.replace(/sk-[\w-]{4,}/gi, (k) => maskKey(k)) : segment;
    })
    .join('/');
}
