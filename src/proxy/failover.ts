import type { FallbackMap, RoutingRules } from '../config/config.types.js';
import type { UpstreamFailure } from './upstream-errors.js';

/**
 * What LiteLLM maps to `ContextWindowExceededError` for OpenAI-compatible backends (vLLM: "This model's
 * maximum context length is N tokens. However, your request has M input tokens…", or "'max_tokens' …
 * is too large … maximum context length …").
 */
const CONTEXT_WINDOW = /maximum context length|context length exceeded|context_length_exceeded|prompt is too long|input is too long/i;

export function isContextWindowError(failure: UpstreamFailure): boolean {
  return failure.error.status === 400 && CONTEXT_WINDOW.test(failure.error.message);
}

/** An alias's own entry, else the generic `*` one (`default_fallbacks`), as LiteLLM's `get_fallback_model_group`. */
function lookup(map: FallbackMap, name: string): readonly string[] {
  return map.get(name) ?? map.get('*') ?? [];
}

/**
 * The fallback groups for a failure of `name`, by LiteLLM's rules: a backend's "over the context length"
 * 400 goes to `context_window_fallbacks` (to `fallbacks` when none is configured at all); a backend fault
 * (connection error, 5xx, 429, timeout, a 401/404 from the backend) or no deployment able to take the
 * request goes to `fallbacks`; any other 4xx is the request's own and goes nowhere.
 */
export function fallbacksFor(rules: RoutingRules, name: string, failure: UpstreamFailure): readonly string[] {
  if (isContextWindowError(failure)) {
    return rules.contextWindowFallbacks.size > 0 ? lookup(rules.contextWindowFallbacks, name) : lookup(rules.fallbacks, name);
  }
  if (!failure.fault && failure.kind !== 'unavailable') return [];
  return lookup(rules.fallbacks, name);
}

/**
 * The order fallbacks are tried in, as LiteLLM's recursion (`run_async_fallback` →
 * `async_function_with_fallbacks`): a fallback that fails brings its own fallbacks first, then the
 * rest of the list; a group is tried once per request, at most `max_fallbacks` in all.
 */
export class FallbackChain {
  private readonly pending: string[] = [];
  private readonly seen: Set<string>;
  private tried = 0;

  constructor(
    private readonly rules: RoutingRules,
    first: string,
  ) {
    this.seen = new Set([first]);
  }

  /** The next group to try after `failed` failed with `failure`; undefined: none left. `usable` filters (unknown, not allowed). */
  next(failed: string, failure: UpstreamFailure, usable: (name: string) => boolean): string | undefined {
    this.pending.unshift(...fallbacksFor(this.rules, failed, failure));
    while (this.pending.length > 0 && this.tried < this.rules.maxFallbacks) {
      const name = this.pending.shift()!;
      if (this.seen.has(name)) continue;
      this.seen.add(name);
      if (!usable(name)) continue;
      this.tried++;
      return name;
    }
    return undefined;
  }
}
