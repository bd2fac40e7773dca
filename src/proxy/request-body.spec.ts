import { describe, expect, it } from 'vitest';
import { ApiError } from '../common/api-error.js';
import { parseBody } from './request-body.js';

const limits = { maxBodyBytes: 1 << 20, maxJsonDepth: 64 } as Parameters<typeof parseBody>[1];
const chat = { listField: { name: 'messages', example: '[{"role": "user", "content": "hi"}]' } };
const refusal = (body: unknown, endpoint?: typeof chat) => {
  try {
    parseBody(Buffer.from(JSON.stringify(body)), limits, endpoint);
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('accepted');
};

describe('parseBody', () => {
  it('says the endpoint list must be an array, naming the field and what was sent', () => {
    const err = refusal({ model: 'm', messages: 'hi' }, chat);
    expect(err.message).toBe('"messages" must be an array of messages such as [{"role": "user", "content": "hi"}], got "hi"');
    expect(err.param).toBe('messages');
    expect(refusal({ model: 'm' }, chat).message).toMatch(/^"messages" is required: an array of messages/);
    expect(refusal({ model: 'm', messages: 'x'.repeat(500) }, chat).message.length).toBeLessThan(200);
  });

  it('leaves other endpoints their fields, and forwards a good body as it is', () => {
    expect(parseBody(Buffer.from('{"model":"m","prompt":"hi"}'), limits)).toEqual({ model: 'm', prompt: 'hi' });
    expect(parseBody(Buffer.from('{"model":"m","messages":[]}'), limits, chat)).toEqual({ model: 'm', messages: [] });
  });
});
