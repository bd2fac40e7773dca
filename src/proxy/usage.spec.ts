import { describe, expect, it } from 'vitest';
import { asUsage, extractId, extractUsage, objectAt } from './usage.js';

const body = (value: unknown) => Buffer.from(JSON.stringify(value));

// vLLM's non-streaming chat answer: usage after choices, with nested details.
const CHAT = {
  id: 'chatcmpl-9c1e',
  object: 'chat.completion',
  created: 1764640000,
  model: 'google/gemma-4-31b',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hi {there}', tool_calls: [] }, logprobs: null, finish_reason: 'stop' }],
  usage: { prompt_tokens: 21, total_tokens: 29, completion_tokens: 8, prompt_tokens_details: { cached_tokens: 16 } },
  prompt_logprobs: null,
};

describe('extractUsage', () => {
  it('reads usage (with nested details) out of a chat answer', () => {
    expect(extractUsage(body(CHAT))).toEqual({ prompt_tokens: 21, completion_tokens: 8, total_tokens: 29 });
  });

  it('is not fooled by "usage" and braces inside the answer text', () => {
    const call = { id: 'call-1', type: 'function', function: { name: 'f', arguments: '{"usage":{"prompt_tokens":999}}' } };
    for (const content of ['say "usage": {"prompt_tokens": 999} }}', 'usage']) {
      const tricky = { ...CHAT, choices: [{ index: 0, message: { role: 'assistant', content, tool_calls: [call] } }] };
      expect(extractUsage(body(tricky))).toEqual({ prompt_tokens: 21, completion_tokens: 8, total_tokens: 29 });
    }
  });

  it('reads usage at the end of a large embeddings answer', () => {
    const embedding = Array.from({ length: 4096 }, (_, i) => Math.sin(i) / 3);
    const answer = {
      object: 'list',
      data: Array.from({ length: 64 }, (_, index) => ({ object: 'embedding', index, embedding })),
      model: 'bge-m3',
      usage: { prompt_tokens: 640, total_tokens: 640, completion_tokens: 0, prompt_tokens_details: null },
    };
    const buf = body(answer);
    expect(buf.length).toBeGreaterThan(1_000_000);
    expect(extractUsage(buf)).toEqual({ prompt_tokens: 640, completion_tokens: 0, total_tokens: 640 });
  });

  it('falls back to a full parse when the usage object is longer than the shortcut reads', () => {
    const long = { ...CHAT, usage: { ...CHAT.usage, note: 'x'.repeat(5000) } };
    expect(extractUsage(body(long))).toEqual({ prompt_tokens: 21, completion_tokens: 8, total_tokens: 29 });
  });

  it('fills what the backend left out: total = prompt + completion, non-numbers count 0', () => {
    expect(extractUsage(body({ usage: { prompt_tokens: 5, completion_tokens: 7 } }))).toEqual({ prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 });
    expect(extractUsage(body({ usage: { prompt_tokens: '5', completion_tokens: null } }))).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });

  it('gives undefined without usage, for usage null, and for a body that is not JSON', () => {
    expect(extractUsage(body({ id: 'x', choices: [] }))).toBeUndefined();
    expect(extractUsage(body({ id: 'x', usage: null }))).toBeUndefined();
    expect(extractUsage(Buffer.from('<html>"usage" 502 Bad Gateway</html>'))).toBeUndefined();
    expect(extractUsage(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('objectAt', () => {
  it('matches braces, skipping braces and escaped quotes inside strings', () => {
    const text = 'x {"a":"}\\"{","b":{"c":1}} tail}';
    expect(objectAt(text, 2)).toBe('{"a":"}\\"{","b":{"c":1}}');
    expect(JSON.parse(objectAt(text, 2)!)).toEqual({ a: '}"{', b: { c: 1 } });
  });

  it('gives undefined for an object cut short', () => {
    expect(objectAt('{"a":{"b":1}', 0)).toBeUndefined();
  });
});

describe('asUsage', () => {
  it('takes objects only', () => {
    expect(asUsage(null)).toBeUndefined();
    expect(asUsage(42)).toBeUndefined();
    expect(asUsage({})).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  });
});

describe('extractId', () => {
  it('finds the answer id near the start, from bytes or text', () => {
    expect(extractId(body(CHAT))).toBe('chatcmpl-9c1e');
    expect(extractId('data: {"id" : "cmpl-1","object":"text_completion"}')).toBe('cmpl-1');
  });

  it('looks at the first 512 bytes of a buffer only', () => {
    expect(extractId(Buffer.from(`{"pad":"${'x'.repeat(600)}","id":"late"}`))).toBeUndefined();
    expect(extractId(Buffer.from('{"object":"list"}'))).toBeUndefined();
  });
});

describe('usage of the other families', () => {
  it('reads the Responses and Messages APIs, a rerank total and audio seconds', () => {
    expect(extractUsage(Buffer.from('{"id":"resp_1","usage":{"input_tokens":7,"output_tokens":3,"total_tokens":10}}'))).toEqual({
      prompt_tokens: 7,
      completion_tokens: 3,
      total_tokens: 10,
    });
    expect(extractUsage(Buffer.from('{"type":"message","usage":{"input_tokens":5,"output_tokens":2}}'))).toMatchObject({
      prompt_tokens: 5,
      completion_tokens: 2,
    });
    expect(extractUsage(Buffer.from('{"results":[],"usage":{"total_tokens":12}}'))).toEqual({ prompt_tokens: 12, completion_tokens: 0, total_tokens: 12 });
    expect(extractUsage(Buffer.from('{"text":"hi","usage":{"type":"duration","seconds":4}}'))).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      seconds: 4,
    });
  });
});
