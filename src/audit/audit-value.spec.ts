import { describe, expect, it } from 'vitest';
import { auditValue } from './audit-value.js';

describe('auditValue', () => {
  it('masks secrets at any depth, keeps key names and aliases, cuts hashes', () => {
    const token = 'a'.repeat(64);
    expect(
      auditValue({
        token,
        key_name: 'sk-...abcd',
        key_alias: 'team-a',
        max_budget: 5,
        created_at: new Date('2026-01-01T00:00:00Z'),
        metadata: { owner: 'x', api_key: 'sk-secret-1234', note: 'Bearer abc' },
        litellm_params: { api_key: 'sk-vllm-secret', api_base: 'http://u:p@host/v1' },
      }),
    ).toEqual({
      token: 'aaaaaaaa…',
      key_name: 'sk-...abcd',
      key_alias: 'team-a',
      max_budget: 5,
      created_at: '2026-01-01T00:00:00.000Z',
      metadata: { owner: 'x', api_key: '********', note: '********' },
      litellm_params: { api_key: '********', api_base: 'http://***:***@host/v1' },
    });
  });

  it('is null for nothing, and masks a non-hash token', () => {
    expect(auditValue(undefined)).toBeNull();
    expect(auditValue(null)).toBeNull();
    expect(auditValue({ token: 'sk-plain-key' })).toEqual({ token: '********' });
  });
});
