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

/**
 * `origin` names the sending instance, so that its own notice, which comes back on its LISTEN connection,
 * is not handled twice (see DbEventsService.publish). Readers that do not know the field ignore it.
 */
export function encodeEvent<C extends DbChannel>(channel: C, event: ChannelEvents[C], origin?: string): string[] {
  if (event.op !== 'drop') return [JSON.stringify({ ...event, origin })];
  const out: string[] = [];
  for (let i = 0; i < event.ids.length; i += MAX_IDS_PER_NOTICE)
    out.push(JSON.stringify({ op: 'drop', ids: event.ids.slice(i, i + MAX_IDS_PER_NOTICE), origin }));
  return out;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

export interface Notice<C extends DbChannel> {
  event: ChannelEvents[C];
  /** The sending instance, when it said. */
  origin?: string;
}

export function decodeNotice<C extends DbChannel>(channel: C, payload: string): Notice<C> {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return { event: ALL };
  }
  if (typeof v !== 'object' || v === null) return { event: ALL };
  const e = v as Record<string, unknown>;
  const origin = typeof e.origin === 'string' ? e.origin : undefined;
  if (e.op === 'drop' && isStrings(e.ids)) return { event: { op: 'drop', ids: e.ids }, origin };
  if (channel === 'proxy_key_change' && e.op === 'rename' && typeof e.from === 'string' && typeof e.to === 'string') {
    return { event: { op: 'rename', from: e.from, to: e.to } as ChannelEvents[C], origin };
  }
  return { event: ALL, origin };
}
