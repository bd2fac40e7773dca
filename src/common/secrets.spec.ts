import { describe, expect, it } from 'vitest';
import { maskSecrets, maskUrl, redactPath } from './secrets.js';

describe('maskSecrets', () => {
  it('masks secret-looking fields at any depth, whole structures included, and keeps the rest', () => {
    expect(
      maskSecrets({
        api_key: 'k',
        model: 'openai/m',
        extra_headers: { Authorization: 'Bearer x', 'X-Api-Key': 'y', 'X-Trace': 'abc' },
        vertex_credentials: { private: 'z' },
        list: [{ db_password: 'p' }],
        max_tokens: 10,
        input_cost_per_token: '0.5',
        access_token: 't',
        tokenizer: 'gemma',
        empty_key: '',
      }),
    ).toEqual({
      api_key: '********',
      model: 'openai/m',
      extra_headers: { Authorization: '********', 'X-Api-Key': '********', 'X-Trace': 'abc' },
      vertex_credentials: '********',
      list: [{ db_password: '********' }],
      max_tokens: 10,
      input_cost_per_token: '0.5',
      access_token: '********',
      tokenizer: 'gemma',
      empty_key: '',
    });
  });

  it('masks values that are keys or auth headers whatever the field is called', () => {
    expect(maskSecrets({ note: 'Bearer abc', other: 'uses sk-abcdef123', task: 'task-force' })).toEqual({
      note: '********',
      other: '********',
      task: 'task-force',
    });
  });
});

describe('maskUrl', () => {
  it('hides credentials and secret query values, and leaves other URLs exactly as written', () => {
    expect(maskUrl('http://u:p@h:1/v1?api_key=s&region=eu')).toBe('http://***:***@h:1/v1?api_key=***&region=eu');
    expect(maskUrl('https://h/v1?token=s')).toBe('https://h/v1?token=***');
    expect(maskUrl('http://127.0.0.1:8123/v1')).toBe('http://127.0.0.1:8123/v1');
    expect(maskUrl('not a url')).toBe('not a url');
  });
});

describe('redactPath', () => {
  it('masks keys in path segments', () => {
    expect(redactPath('/key/sk-abcdefgh1234/regenerate')).toBe('/key/sk-...1234/regenerate');
    expect(redactPath('/key/sk%2Dabcdefgh1234/regenerate')).toBe('/key/sk-...1234/regenerate');
    expect(redactPath('/key/custom-secret/regenerate')).toBe('/key/***/regenerate');
    expect(redactPath(`/key/${'a'.repeat(64)}/regenerate`)).toBe(`/key/${'a'.repeat(64)}/regenerate`);
    expect(redactPath('/x/sk-abcdefgh9999')).toBe('/x/sk-...9999');
    expect(redactPath('/v1/chat/completions')).toBe('/v1/chat/completions');
  });
});
