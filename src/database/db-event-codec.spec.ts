import { describe, expect, it } from 'vitest';
import { type DbChannel, decodeNotice, type DropEvent, encodeEvent } from './db-event-codec.js';

const decodeEvent = (channel: DbChannel, payload: string) => decodeNotice(channel, payload).event;

describe('NOTIFY payload codec', () => {
  it('round-trips each event kind as JSON', () => {
    const drop: DropEvent = { op: 'drop', ids: ['a', 'b'] };
    const [payload] = encodeEvent('proxy_key_change', drop);
    expect(JSON.parse(payload)).toEqual(drop);
    expect(decodeEvent('proxy_key_change', payload)).toEqual(drop);
    const rename = { op: 'rename', from: 'old', to: 'new' } as const;
    expect(decodeEvent('proxy_key_change', encodeEvent('proxy_key_change', rename)[0])).toEqual(rename);
    expect(decodeEvent('proxy_team_change', encodeEvent('proxy_team_change', { op: 'all' })[0])).toEqual({ op: 'all' });
  });

  it('splits a long id list so each notice stays under PostgreSQL 8000-byte limit', () => {
    const ids = Array.from({ length: 250 }, (_, i) => i.toString(16).padStart(64, '0'));
    const payloads = encodeEvent('proxy_key_change', { op: 'drop', ids });
    expect(payloads).toHaveLength(3);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect(payloads.flatMap((p) => (decodeEvent('proxy_key_change', p) as { ids: string[] }).ids)).toEqual(ids);
  });

  it("carries the sender's origin, so an instance can skip its own echo", () => {
    const [drop] = encodeEvent('proxy_key_change', { op: 'drop', ids: ['a'] }, 'inst-1');
    expect(decodeNotice('proxy_key_change', drop)).toEqual({ event: { op: 'drop', ids: ['a'] }, origin: 'inst-1' });
    const [rename] = encodeEvent('proxy_key_change', { op: 'rename', from: 'a', to: 'b' }, 'inst-2');
    expect(decodeNotice('proxy_key_change', rename).origin).toBe('inst-2');
    expect(decodeNotice('proxy_key_change', '{"op":"drop","ids":["a"]}').origin).toBeUndefined();
  });

  it('sends nothing for an empty drop', () => {
    expect(encodeEvent('proxy_user_change', { op: 'drop', ids: [] })).toEqual([]);
  });

  it('reads anything it does not understand as "drop everything" (safe), never as "nothing changed"', () => {
    for (const p of ['*', 'rename:a>b', '', 'null', '42', '{"op":"drop","ids":[1]}', '{"op":"nope"}']) {
      expect(decodeEvent('proxy_key_change', p)).toEqual({ op: 'all' });
    }
    // A rename belongs to keys only.
    expect(decodeEvent('proxy_team_change', '{"op":"rename","from":"a","to":"b"}')).toEqual({ op: 'all' });
  });
});
