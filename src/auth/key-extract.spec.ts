import { describe, expect, it } from 'vitest';
import { extractKey } from './key-extract.js';

// LiteLLM's order (litellm/proxy/auth/user_api_key_auth.py get_api_key): x-litellm-api-key, then
// Authorization, then Azure's api-key. Node lower-cases header names.
describe('extractKey', () => {
  it('reads Authorization: Bearer, any case of "bearer", trimmed', () => {
    expect(extractKey({ authorization: 'Bearer sk-abc' })).toBe('sk-abc');
    expect(extractKey({ authorization: 'bearer   sk-abc  ' })).toBe('sk-abc');
    expect(extractKey({ authorization: 'BEARER sk-abc' })).toBe('sk-abc');
  });

  it('takes an Authorization value without the Bearer prefix as the key itself', () => {
    expect(extractKey({ authorization: 'sk-abc' })).toBe('sk-abc');
  });

  it('prefers x-litellm-api-key over Authorization (which may carry another token), with or without Bearer', () => {
    expect(extractKey({ 'x-litellm-api-key': 'sk-litellm', authorization: 'Bearer oauth-token' })).toBe('sk-litellm');
    expect(extractKey({ 'x-litellm-api-key': 'Bearer sk-litellm', authorization: 'Bearer oauth-token' })).toBe('sk-litellm');
    expect(extractKey({ 'x-litellm-api-key': '  sk-litellm ', 'api-key': 'sk-azure' })).toBe('sk-litellm');
  });

  it('reads Azure-style api-key only when neither of the others is there', () => {
    expect(extractKey({ 'api-key': ' sk-azure ' })).toBe('sk-azure');
    expect(extractKey({ authorization: 'Bearer sk-abc', 'api-key': 'sk-azure' })).toBe('sk-abc');
  });

  it('skips empty or blank headers', () => {
    expect(extractKey({ 'x-litellm-api-key': '   ', authorization: 'Bearer sk-abc' })).toBe('sk-abc');
    expect(extractKey({ 'x-litellm-api-key': '', authorization: '', 'api-key': 'sk-azure' })).toBe('sk-azure');
    expect(extractKey({ authorization: '   ' })).toBeUndefined();
    expect(extractKey({ 'api-key': ' ' })).toBeUndefined();
    expect(extractKey({})).toBeUndefined();
  });
});
