import type { Usage } from '../spend/spend-entry.js';

const USAGE_KEY = Buffer.from('"usage"');

/** The object starting at `start` (a `{`), by brace matching that respects strings. */
function objectAt(text: string, start: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return text.slice(start, i + 1);
  }
  return undefined;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/** The counts a usage object holds, by each family's names; undefined where it holds none. */
export interface UsageParts {
  prompt?: number;
  completion?: number;
  total?: number;
  seconds?: number;
}

/**
 * OpenAI's `prompt_tokens`/`completion_tokens`, the Responses and Anthropic APIs' `input_tokens`/
 * `output_tokens`, vLLM's rerank `total_tokens` alone, and audio's `{"type": "duration", "seconds"}`.
 */
export function usageParts(value: unknown): UsageParts | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const u = value as Record<string, unknown>;
  return {
    prompt: num(u.prompt_tokens) ?? num(u.input_tokens),
    completion: num(u.completion_tokens) ?? num(u.output_tokens),
    total: num(u.total_tokens),
    seconds: u.type === 'duration' ? num(u.seconds) : undefined,
  };
}

/** Usage to bill from its parts: a total alone (rerank) counts as prompt tokens. */
export function usageOf(p: UsageParts): Usage {
  const prompt = p.prompt ?? (p.completion === undefined ? (p.total ?? 0) : 0);
  const completion = p.completion ?? 0;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: p.total ?? prompt + completion };
  if (p.seconds !== undefined) usage.seconds = p.seconds;
  return usage;
}

function asUsage(value: unknown): Usage | undefined {
  const parts = usageParts(value);
  return parts && usageOf(parts);
}

/**
 * Reads `usage` out of an OpenAI JSON answer without parsing all of it (embeddings answers can
 * be large; usage sits at the end). Falls back to a full parse when the shortcut does not fit.
 */
export function extractUsage(body: Buffer): Usage | undefined {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at === -1) return undefined;
  const brace = body.indexOf(123, at);
  if (brace !== -1) {
    const obj = objectAt(body.toString('utf8', brace, Math.min(body.length, brace + 4096)), 0);
    if (obj) {
      try {
        return asUsage(JSON.parse(obj));
      } catch {
        /* fall through */
      }
    }
  }
  try {
    return asUsage((JSON.parse(body.toString('utf8')) as { usage?: unknown }).usage);
  } catch {
    return undefined;
  }
}

const ID_PATTERN = /"id"\s*:\s*"([^"]{1,200})"/;

/** The answer's `id` (e.g. `chatcmpl-…`), looked for near the start. */
export function extractId(head: Buffer | string): string | undefined {
  const text = typeof head === 'string' ? head : head.toString('utf8', 0, Math.min(head.length, 512));
  return ID_PATTERN.exec(text)?.[1];
}

export { objectAt, asUsage };
