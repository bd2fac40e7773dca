import type { SpendEntry } from './spend-entry.js';

/** Limits on what one spend row may carry (characters, after making strings well-formed). */
export const LIMITS = {
  /** `user`: LiteLLM callers send ids, not essays. */
  user: 256,
  /** model, model_id, model_group, api_base, call_type, team_id, request_id. */
  name: 512,
  /** Any one string inside metadata. */
  metadataString: 1024,
  /** The whole metadata object as JSON. */
  metadataJson: 8192,
  /** Nesting kept inside metadata; deeper values become a marker. */
  metadataDepth: 4,
} as const;

/** Set on metadata that had to be cut to fit: the key names what was left out or shortened. */
export const TRUNCATED = 'proxy_truncated';

const INT4_MAX = 2_147_483_647;

/** ES2024 string methods (Node 20 has them; the es2023 lib does not declare them). */
type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

/**
 * A string PostgreSQL accepts in text and jsonb: unpaired surrogates and NUL replaced with
 * U+FFFD, cut to `max` characters (never in the middle of a surrogate pair).
 */
export function cleanString(value: unknown, max: number): string {
  let s = typeof value === 'string' ? value : value === null || value === undefined ? '' : String(value);
  if (!(s as unknown as WellFormed).isWellFormed()) s = (s as unknown as WellFormed).toWellFormed();
  if (s.includes('\u0000')) s = s.replaceAll('\u0000', '\uFFFD');
  if (s.length > max) {
    let end = max;
    const code = s.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end--;
    s = s.slice(0, end);
  }
  return s;
}

/** A token count for an int4 column: finite, whole, 0 ≤ n ≤ 2^31-1. */
export function cleanCount(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.min(Math.floor(n), INT4_MAX);
}

/** Money: finite and non-negative, else 0 (a NaN cost must not poison a batch). */
export function cleanMoney(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Epoch milliseconds PostgreSQL can store; `fallback` otherwise. */
function cleanTime(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 8.64e15 ? value : fallback;
}

function cleanValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') return cleanString(value, LIMITS.metadataString);
  if (typeof value !== 'object') return value === undefined ? null : cleanString(value, LIMITS.metadataString);
  if (depth >= LIMITS.metadataDepth) return `[${TRUNCATED}]`;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => cleanValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (++n > 100) break;
    if (v !== undefined) out[cleanString(k, 128)] = cleanValue(v, depth + 1);
  }
  return out;
}

/**
 * An upper bound on the JSON bytes of metadata whose values are all strings, numbers, booleans or
 * null (the proxy's own): 6 bytes per UTF-16 unit covers both `\uXXXX` escapes and UTF-8. Undefined
 * when a value is an object or array (then the JSON is measured).
 */
function flatJsonBound(m: Record<string, unknown>): number | undefined {
  let n = 2;
  for (const k in m) {
    const v = m[k];
    n += 6 * k.length + 4;
    if (typeof v === 'string') n += 6 * v.length + 2;
    else if (typeof v === 'number') n += 25;
    else if (v === null || typeof v === 'boolean') n += 5;
    else return undefined;
  }
  return n;
}

/**
 * Metadata made well-formed and bounded: each string at most `metadataString` characters, the
 * whole at most `metadataJson` bytes of JSON. Top-level keys are kept in order while they fit;
 * the rest are dropped and listed under `proxy_truncated`.
 */
export function cleanMetadata(metadata: unknown): Record<string, unknown> {
  if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) return {};
  const clean = cleanValue(metadata, 0) as Record<string, unknown>;
  // Every row's metadata is small and flat: proven to fit without serialising it once more.
  const bound = flatJsonBound(clean);
  if (bound !== undefined && bound <= LIMITS.metadataJson) return clean;
  const json = JSON.stringify(clean);
  if (Buffer.byteLength(json) <= LIMITS.metadataJson) return clean;
  const out: Record<string, unknown> = {};
  const dropped: string[] = [];
  // Room for the marker itself (up to 20 dropped key names of 128 chars).
  let size = 2 + 3000;
  for (const [k, v] of Object.entries(clean)) {
    const part = Buffer.byteLength(JSON.stringify(k)) + Buffer.byteLength(JSON.stringify(v)) + 2;
    if (size + part <= LIMITS.metadataJson) {
      out[k] = v;
      size += part;
    } else {
      dropped.push(k);
    }
  }
  out[TRUNCATED] = dropped.slice(0, 20);
  return out;
}

/** One row of the batch JSON the flush statement reads (json_to_recordset). */
export interface SpendRow {
  request_id: string;
  call_type: string;
  api_key: string;
  spend: number;
  prompt_tokens: number;
  completion_tokens: number;
  start_ms: number;
  end_ms: number;
  first_ms: number | null;
  model: string;
  model_id: string;
  model_group: string;
  api_base: string;
  end_user: string;
  team_id: string | null;
  status: 'success' | 'failure';
  metadata: Record<string, unknown>;
}

/**
 * The row written for an entry: every string well-formed and bounded, numbers validated. Runs in
 * the writer, off the request path; the entry itself is left as booked (pending spend counts it).
 */
export function toRow(e: SpendEntry): SpendRow {
  const end = cleanTime(e.endTime, Date.now());
  // request_duration_ms is an int4.
  const start = Math.max(Math.min(cleanTime(e.startTime, end), end), end - INT4_MAX);
  const first = e.completionStartTime === null ? null : cleanTime(e.completionStartTime, end);
  return {
    request_id: cleanString(e.requestId, LIMITS.name),
    call_type: cleanString(e.callType, LIMITS.name),
    api_key: cleanString(e.apiKey, LIMITS.name),
    spend: cleanMoney(e.spend),
    prompt_tokens: cleanCount(e.promptTokens),
    completion_tokens: Math.min(cleanCount(e.completionTokens), INT4_MAX - cleanCount(e.promptTokens)),
    start_ms: start,
    end_ms: end,
    first_ms: first,
    model: cleanString(e.model, LIMITS.name),
    model_id: cleanString(e.modelId, LIMITS.name),
    model_group: cleanString(e.modelGroup, LIMITS.name),
    api_base: cleanString(e.apiBase, LIMITS.name),
    end_user: cleanString(e.user, LIMITS.user),
    team_id: e.teamId === null || e.teamId === undefined ? null : cleanString(e.teamId, LIMITS.name),
    status: e.status === 'failure' ? 'failure' : 'success',
    metadata: cleanMetadata(e.metadata),
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** An entry read back from a journal, with the field types the writer relies on. */
export function fromJournal(raw: SpendEntry): SpendEntry {
  const r = raw as unknown as Record<string, unknown>;
  return {
    requestId: str(r.requestId),
    callType: str(r.callType),
    apiKey: str(r.apiKey),
    spend: num(r.spend),
    promptTokens: num(r.promptTokens),
    completionTokens: num(r.completionTokens),
    startTime: num(r.startTime),
    endTime: num(r.endTime),
    completionStartTime: r.completionStartTime === null || r.completionStartTime === undefined ? null : num(r.completionStartTime),
    model: str(r.model),
    modelId: str(r.modelId),
    modelGroup: str(r.modelGroup),
    apiBase: str(r.apiBase),
    user: str(r.user),
    teamId: r.teamId === null || r.teamId === undefined ? null : str(r.teamId),
    status: r.status === 'failure' ? 'failure' : 'success',
    metadata: r.metadata && typeof r.metadata === 'object' ? (r.metadata as Record<string, unknown>) : {},
  };
}
