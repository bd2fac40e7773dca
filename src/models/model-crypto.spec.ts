import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptError, decryptParams, decryptValue, encryptParams, encryptValue } from './model-crypto.js';

const { subtle } = webcrypto;
const utf8 = (s: string) => new TextEncoder().encode(s);

const SALT_KEY = 'sk-salt-unit-vector-1234';
const PLAIN = 'sk-vllm-backend-sëcret/+=?';

// Computed once with Python's `cryptography`, the way LiteLLM writes them (HKDF(SHA256, length=32, salt=None,
// info=b"litellm-at-rest-v3"), AESGCM, base64.urlsafe_b64encode), nonce 00 01 … 0b (v3) and 64 65 … 6f (v2).
const V3_VECTOR = 'v3:gcm:AAECAwQFBgcICQoLagCqUf3XisCfhn7d7OMPMzjzceAmv0ufiyqUlbbnWsABx95zcViJTKIIKw==';
const V2_VECTOR = 'v2:gcm:ZGVmZ2hpamtsbW5vQK7bP80F_60caVzLTWLmIKey21Ch2LxRKMdiUMqry2HguwDRX7c85mZYsQ==';

/** The v3 key derived by WebCrypto, independently of the module's node:crypto code. */
async function webV3Key(saltKey: string): Promise<webcrypto.CryptoKey> {
  const base = await subtle.importKey('raw', utf8(saltKey), 'HKDF', false, ['deriveKey']);
  return subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: utf8('litellm-at-rest-v3') },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

async function webV2Key(saltKey: string): Promise<webcrypto.CryptoKey> {
  const raw = await subtle.digest('SHA-256', utf8(saltKey));
  return subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** `<prefix>` + base64url(nonce ‖ ciphertext ‖ tag), WebCrypto's AES-GCM output being ciphertext ‖ tag. */
async function webSeal(prefix: string, key: webcrypto.CryptoKey, nonce: Uint8Array, plain: string, padded = true): Promise<string> {
  const sealed = Buffer.concat([nonce, Buffer.from(await subtle.encrypt({ name: 'AES-GCM', iv: nonce }, key, utf8(plain)))]);
  return prefix + (padded ? sealed.toString('base64').replace(/\+/g, '-').replace(/\//g, '_') : sealed.toString('base64url'));
}

async function webOpen(stored: string, key: webcrypto.CryptoKey): Promise<string> {
  const raw = Buffer.from(stored.slice('v3:gcm:'.length), 'base64url');
  return new TextDecoder().decode(await subtle.decrypt({ name: 'AES-GCM', iv: raw.subarray(0, 12) }, key, raw.subarray(12)));
}

const nonce = (first: number) => Uint8Array.from({ length: 12 }, (_, i) => first + i);

describe('at-rest crypto (LiteLLM v3:gcm / v2:gcm)', () => {
  it('decrypts the fixed vectors written the way LiteLLM writes them', () => {
    expect(decryptValue(V3_VECTOR, SALT_KEY)).toBe(PLAIN);
    expect(decryptValue(V2_VECTOR, SALT_KEY)).toBe(PLAIN);
  });

  it('WebCrypto, from DESIGN.md alone, reproduces the fixed v3 vector', async () => {
    expect(await webSeal('v3:gcm:', await webV3Key(SALT_KEY), nonce(0), PLAIN)).toBe(V3_VECTOR);
    expect(await webSeal('v2:gcm:', await webV2Key(SALT_KEY), nonce(100), PLAIN)).toBe(V2_VECTOR);
  });

  it('decrypts values sealed by WebCrypto, padded or not', async () => {
    const key = await webV3Key('another salt key');
    for (const plain of ['', 'x', 'http://10.0.0.7:8000/v1', 'ключ-🔑'.repeat(50)]) {
      expect(decryptValue(await webSeal('v3:gcm:', key, nonce(7), plain), 'another salt key')).toBe(plain);
      expect(decryptValue(await webSeal('v3:gcm:', key, nonce(9), plain, false), 'another salt key')).toBe(plain);
    }
  });

  it('writes v3 that WebCrypto opens: padded urlsafe base64 (as Python decodes it), a fresh nonce each time', async () => {
    const a = encryptValue(PLAIN, SALT_KEY);
    const b = encryptValue(PLAIN, SALT_KEY);
    expect(a).toMatch(/^v3:gcm:[A-Za-z0-9_-]+={0,2}$/);
    expect((a.length - 'v3:gcm:'.length) % 4).toBe(0);
    expect(Buffer.from(a.slice(7), 'base64url').length).toBe(12 + Buffer.byteLength(PLAIN) + 16);
    expect(a).not.toBe(b);
    const key = await webV3Key(SALT_KEY);
    expect(await webOpen(a, key)).toBe(PLAIN);
    expect(await webOpen(b, key)).toBe(PLAIN);
  });

  it('refuses a wrong salt key, a changed byte and a value too short, with DecryptError', () => {
    expect(() => decryptValue(V3_VECTOR, 'sk-other-salt')).toThrow(DecryptError);
    const raw = Buffer.from(V3_VECTOR.slice(7), 'base64url');
    raw[20] ^= 1;
    expect(() => decryptValue(`v3:gcm:${raw.toString('base64url')}`, SALT_KEY)).toThrow(/authentication failed/);
    expect(() => decryptValue('v3:gcm:AAECAwQF', SALT_KEY)).toThrow(/too short/);
  });

  it('passes values without a marker through (plain config values)', () => {
    expect(decryptValue('http://127.0.0.1:8000/v1', SALT_KEY)).toBe('http://127.0.0.1:8000/v1');
  });

  it('encrypts each string of litellm_params separately and leaves other values alone', () => {
    const params = { model: 'openai/google/gemma', api_key: 'sk-backend', rpm: 10, extra: { a: 1 }, stream: true };
    const sealed = encryptParams(params, SALT_KEY);
    expect(sealed.model).toMatch(/^v3:gcm:/);
    expect(sealed.api_key).toMatch(/^v3:gcm:/);
    expect(sealed.rpm).toBe(10);
    expect(sealed.extra).toBe(params.extra);
    expect(sealed.stream).toBe(true);
    expect(decryptParams(sealed, SALT_KEY)).toEqual(params);
  });
});
