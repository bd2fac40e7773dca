import type { Usage } from '../spend/spend-entry.js';
import { asUsage, extractId } from './usage.js';

const EVENT_END = Buffer.from('\n\n');
const USAGE_MARK = Buffer.from('"usage":{');
// The [DONE] event starts the buffer or follows a newline; inside a JSON string it cannot (newlines are escaped).
const DONE_LINE = Buffer.from('data: [DONE]\n');
const DONE_AFTER_EVENT = Buffer.from('\ndata: [DONE]\n');

/**
 * Reads an upstream SSE stream on the side while it is forwarded: passes complete events through
 * as they arrive (byte slices, no re-encoding), captures the response id and the usage chunk,
 * and drops that usage-only chunk when the client did not ask for it (the proxy asked on its behalf).
 */
export class SseTap {
  usage?: Usage;
  id?: string;
  done = false;
  private tail?: Buffer;

  constructor(private readonly stripUsageChunk: boolean) {}

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
    if (!this.done && (complete.subarray(0, DONE_LINE.length).equals(DONE_LINE) || complete.includes(DONE_AFTER_EVENT))) this.done = true;
    if (complete.includes(USAGE_MARK)) return this.inspect(complete);
    return complete;
  }

  /** Whatever is left when the upstream ends (an unterminated last event). */
  rest(): Buffer | undefined {
    const t = this.tail;
    this.tail = undefined;
    return t;
  }

  private inspect(complete: Buffer): Buffer | undefined {
    const events = complete.toString('utf8').split('\n\n');
    const kept: string[] = [];
    let changed = false;
    for (const event of events) {
      if (event === '') continue;
      if (event.includes('"usage":{')) {
        const json = event.startsWith('data: ') ? event.slice(6) : event;
        try {
          const parsed = JSON.parse(json) as { usage?: unknown; choices?: unknown[] };
          const usage = asUsage(parsed.usage);
          if (usage) this.usage = usage;
          if (this.stripUsageChunk && Array.isArray(parsed.choices) && parsed.choices.length === 0) {
            changed = true;
            continue;
          }
        } catch {
          /* not JSON: forward as is */
        }
      }
      kept.push(event);
    }
    if (!changed) return complete;
    return kept.length === 0 ? undefined : Buffer.from(kept.join('\n\n') + '\n\n');
  }
}
