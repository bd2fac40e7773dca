/**
 * The NOTIFY protocol between instances: one typed event per channel, sent as JSON. This file is the only
 * place that encodes or decodes a payload. A payload that cannot be read (another version, a hand-sent
 * notice) decodes as `{ op: 'all' }`: dropping a whole cache is always safe, missing a change is not.
 */

/** Every subscriber drops everything it caches from this channel (also sent locally after a LISTEN reconnect). */
export interface AllEvent {
  op: 'all';
}
/** These ids changed (key hashes, team ids, user ids, model ids, UI session hashes). */
export interface DropEvent {
  op: 'drop';
  ids: string[];
}
/** A key was regenerated: spend booked under `from` follows to `to`. */
export interface RenameEvent {
  op: 'rename';
  from: string;
  to: string;
}

export type IdEvent = DropEvent | AllEvent;
export type KeyEvent = IdEvent | RenameEvent;

export interface ChannelEvents {
  proxy_key_change: KeyEvent;
  proxy_team_change: IdEvent;
  proxy_user_change: IdEvent;
  proxy_model_change: IdEvent;
  proxy_ui_session_change: IdEvent;
}

export type DbChannel = keyof ChannelEvents;
export const CHANNELS: readonly DbChannel[] = ['proxy_key_change', 'proxy_team_change', 'proxy_user_change', 'proxy_model_change', 'proxy_ui_session_change'];
export const ALL: AllEvent = { op: 'all' };

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more: a long id list goes out in several notices. */
const MAX_IDS_PER_NOTICE = 100;

export function encodeEvent<C extends DbChannel>(channel: C, event: ChannelEvents[C]): string[] {
  if (event.op !== 'drop') return [JSON.stringify(event)];
  const out: string[] = [];
  for (let i = 0; i < event.ids.length; i += MAX_IDS_PER_NOTICE) out.push(JSON.stringify({ op: 'drop', ids: event.ids.slice(i, i + MAX_IDS_PER_NOTICE) }));
  return out;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

export function decodeEvent<C extends DbChannel>(channel: C, payload: string): ChannelEvents[C] {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return ALL;
  }
  if (typeof v !== 'object' || v === null) return ALL;
  const e = v as Record<string, unknown>;
  if (e.op === 'drop' && isStrings(e.ids)) return { op: 'drop', ids: e.ids };
  if (channel === 'proxy_key_change' && e.op === 'rename' && typeof e.from === 'string' && typeof e.to === 'string') {
    return { op: 'rename', from: e.from, to: e.to } as ChannelEvents[C];
  }
  return ALL;
}
