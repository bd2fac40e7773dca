import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * LiteLLM's at-rest format for secrets in `litellm_params`, so a database can move between the two:
 * AES-256-GCM, key = HKDF-SHA256(salt key, no salt, info "litellm-at-rest-v3", 32 bytes),
 * stored as `v3:gcm:` + urlsafe base64 (padded) of nonce(12) ‖ ciphertext ‖ tag(16).
 * `v2:gcm:` (key = SHA-256 of the salt key) is read too.
 */
const V3 = 'v3:gcm:';
const V2 = 'v2:gcm:';

export class DecryptError extends Error {}

function v3Key(saltKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(saltKey, 'utf8'), Buffer.alloc(0), Buffer.from('litellm-at-rest-v3'), 32));
}

function v2Key(saltKey: string): Buffer {
  return createHash('sha256').update(saltKey, 'utf8').digest();
}

export function encryptValue(plain: string, saltKey: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', v3Key(saltKey), nonce);
  const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return V3 + Buffer.concat([nonce, ct, cipher.getAuthTag()]).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export function decryptValue(stored: string, saltKey: string): string {
  const prefix = stored.startsWith(V3) ? V3 : stored.startsWith(V2) ? V2 : undefined;
  if (!prefix) return stored;
  const raw = Buffer.from(stored.slice(prefix.length), 'base64url');
  if (raw.length < 28) throw new DecryptError('ciphertext too short');
  const decipher = createDecipheriv('aes-256-gcm', prefix === V3 ? v3Key(saltKey) : v2Key(saltKey), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  try {
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptError('authentication failed');
  }
}

/** Encrypts each string value of `litellm_params` separately (LiteLLM does the same). */
export function encryptParams(params: Record<string, unknown>, saltKey: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = typeof v === 'string' ? encryptValue(v, saltKey) : v;
  return out;
}

export function decryptParams(params: Record<string, unknown>, saltKey: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) out[k] = typeof v === 'string' ? decryptValue(v, saltKey) : v;
  return out;
}
