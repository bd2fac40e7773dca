import type { Usage } from '../spend/spend-entry.js';
import type { StreamFormat } from './endpoints.js';
import { extractId, usageOf, usageParts } from './usage.js';

const EVENT_END = Buffer.from('\n\n');
const USAGE_MARK = Buffer.from('"usage":{');
const DONE_MARK = Buffer.from('data: [DONE]');
// The [DONE] event starts the buffer or follows a newline; inside a JSON string it cannot (newlines are escaped).
const DONE_LINE = Buffer.from('data: [DONE]\n');
const DONE_AFTER_EVENT = Buffer.from('\ndata: [DONE]\n');
const DATA_MARK = Buffer.from('data: ');
const NO_CHOICES = Buffer.from('"choices":[]');
const NULL = Buffer.from('null');

/** What the client asked for in `stream_options` (vLLM: continuous usage needs include_usage too). */
export type ClientUsage = 'none' | 'final' | 'continuous';

export function clientUsageOf(streamOptions: unknown): ClientUsage {
  if (typeof streamOptions !== 'object' || streamOptions === null) return 'none';
  const o = streamOptions as { include_usage?: unknown; continuous_usage_stats?: unknown };
  if (o.include_usage !== true) return 'none';
  return o.continuous_usage_stats === true ? 'continuous' : 'final';
}

/** An OpenAI stream's `data: [DONE]` event, at the start or after an event. */
function isDone(buf: Buffer): boolean {
  return buf.subarray(0, DONE_LINE.length).equals(DONE_LINE) || buf.includes(DONE_AFTER_EVENT);
}

/** End (exclusive) of the JSON object whose `{` is at `start`, by brace matching that respects strings. */
function objectEnd(buf: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * Reads an upstream SSE stream on the side while it is forwarded. The proxy asks vLLM for usage on
 * every chunk (`continuous_usage_stats`), so a stream that ends early is billed for what was
 * delivered; what the client did not ask for is taken out again: the running usage of each chunk
 * (`"usage":null` when it asked for the final usage only) and the usage-only last chunk. Complete
 * events pass as byte slices; only chunks carrying usage are spliced.
 */
export class SseTap {
  /** The latest usage seen: the totals at the end, the running count before. */
  usage?: Usage;
  id?: string;
  done = false;
  /** Data events passed on before any usage arrived (a backend without usage: the proxy counts). */
  events = 0;
  private tail?: Buffer;
  private readonly endMarks?: readonly Buffer[];
  private readonly merge: boolean;

  /**
   * `client` is what the client asked for; 'continuous' passes every event through untouched (also
   * what a format without injected usage wants). `format` says how the stream ends and counts usage.
   */
  constructor(
    private readonly client: ClientUsage,
    format?: StreamFormat,
  ) {
    this.endMarks = format?.endMarks;
    this.merge = format?.mergeUsage === true;
  }

  /** Returns what to forward now (complete events), or undefined. */
  push(chunk: Buffer): Buffer | undefined {
    const buf = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    const end = buf.lastIndexOf(EVENT_END);
    if (end === -1) {
      this.tail = buf;
      return undefined;
    }
    const cut = end + EVENT_END.length;
    const complete = cut === buf.length ? buf : buf.subarray(0, cut);
    this.tail = cut === buf.length ? undefined : buf.subarray(cut);
    if (this.id === undefined) this.id = extractId(complete);
    if (!this.done) this.done = this.endMarks ? this.endMarks.some((m) => complete.includes(m)) : isDone(complete);
    const last = complete.lastIndexOf(USAGE_MARK);
    if (last === -1) {
      if (this.usage === undefined) this.countEvents(complete);
      return complete;
    }
    if (this.client === 'continuous') {
      // Parts to merge are read in order (one read may hold message_start and message_delta).
      if (this.merge) for (let at = complete.indexOf(USAGE_MARK); at !== -1; at = complete.indexOf(USAGE_MARK, at + 1)) this.capture(complete, at);
      else this.capture(complete, last);
      return complete;
    }
    return this.strip(complete);
  }

  /** Whatever is left when the upstream ends (an unterminated last event). */
  rest(): Buffer | undefined {
    const t = this.tail;
    this.tail = undefined;
    return t;
  }

  private countEvents(buf: Buffer): void {
    for (let at = buf.indexOf(DATA_MARK); at !== -1; at = buf.indexOf(DATA_MARK, at + DATA_MARK.length)) {
      if (!buf.subarray(at, at + DONE_MARK.length).equals(DONE_MARK)) this.events++;
    }
  }

  /** Reads the usage object whose key is at `at`; returns where it ends, or -1 when it is not one. */
  private capture(buf: Buffer, at: number): number {
    const start = at + USAGE_MARK.length - 1;
    const end = objectEnd(buf, start);
    if (end === -1) return -1;
    try {
      const parts = usageParts(JSON.parse(buf.toString('utf8', start, end)));
      if (!parts) return -1;
      const prev = this.usage;
      // Anthropic: message_start holds the input tokens, message_delta the output so far.
      if (this.merge && prev) {
        parts.prompt ??= prev.prompt_tokens;
        parts.completion ??= prev.completion_tokens;
        parts.total = undefined;
      }
      this.usage = usageOf(parts);
      return end;
    } catch {
      return -1;
    }
  }

  /** Takes out the usage the client did not ask for (events whose usage is not JSON pass untouched). */
  private strip(buf: Buffer): Buffer | undefined {
    const parts: Buffer[] = [];
    let from = 0;
    for (let at = buf.indexOf(USAGE_MARK); at !== -1; at = buf.indexOf(USAGE_MARK, at + USAGE_MARK.length)) {
      if (at < from) continue;
      const objEnd = this.capture(buf, at);
      if (objEnd === -1) continue;
      const objStart = at + USAGE_MARK.length - 1;
      const prev = buf.lastIndexOf(EVENT_END, at);
      const evStart = Math.max(from, prev === -1 ? 0 : prev + EVENT_END.length);
      const next = buf.indexOf(EVENT_END, objEnd);
      const evEnd = next === -1 ? buf.length : next + EVENT_END.length;
      const usageOnly = buf.subarray(evStart, evEnd).includes(NO_CHOICES);
      if (usageOnly) {
        // The totals chunk: the client sees it only when it asked for include_usage.
        parts.push(buf.subarray(from, this.client === 'none' ? evStart : evEnd));
      } else if (this.client === 'none' && buf[at - 1] === 44) {
        // `,"usage":{…}` goes: the chunk reads as if usage had never been asked for.
        parts.push(buf.subarray(from, at - 1), buf.subarray(objEnd, evEnd));
      } else {
        parts.push(buf.subarray(from, objStart), NULL, buf.subarray(objEnd, evEnd));
      }
      from = evEnd;
    }
    if (from === 0) return buf;
    parts.push(buf.subarray(from));
    const out = Buffer.concat(parts);
    return out.length === 0 ? undefined : out;
  }
}
