import { describe, expect, it } from 'vitest';
import { ApiError } from '../common/api-error.js';
import type { RoutingRules } from '../config/config.types.js';
import { FallbackChain, fallbacksFor, isContextWindowError } from './failover.js';
import type { UpstreamFailure } from './upstream-errors.js';

const rules = (over: Partial<RoutingRules> = {}): RoutingRules => ({
  fallbacks: new Map([
    ['a', ['b', 'c']],
    ['b', ['d']],
    ['*', ['z']],
  ]),
  contextWindowFallbacks: new Map([['a', ['big']]]),
  maxFallbacks: 5,
  enforceFallbackModelAccess: false,
  modelGroupAlias: new Map(),
  ...over,
});
const fault: UpstreamFailure = { error: new ApiError(502, 'upstream_error', 'boom'), fault: { status: 500, message: 'boom' }, retry: true, kind: 'http_5xx' };
const badRequest: UpstreamFailure = { error: new ApiError(400, 'invalid_request_error', 'bad'), retry: false, kind: 'http_4xx' };
const tooLong: UpstreamFailure = {
  error: new ApiError(400, 'invalid_request_error', "This model's maximum context length is 50 tokens. However, your request has 80 input tokens."),
  retry: false,
  kind: 'http_4xx',
};

describe('fallbacks (LiteLLM rules)', () => {
  it('knows vLLM context-length 400s', () => {
    expect(isContextWindowError(tooLong)).toBe(true);
    expect(isContextWindowError(badRequest)).toBe(false);
  });

  it('backend faults go to fallbacks, context window to context_window_fallbacks, a request 4xx nowhere', () => {
    expect(fallbacksFor(rules(), 'a', fault)).toEqual(['b', 'c']);
    expect(fallbacksFor(rules(), 'unknown', fault)).toEqual(['z']);
    expect(fallbacksFor(rules(), 'a', tooLong)).toEqual(['big']);
    expect(fallbacksFor(rules({ contextWindowFallbacks: new Map() }), 'a', tooLong)).toEqual(['b', 'c']);
    expect(fallbacksFor(rules(), 'a', badRequest)).toEqual([]);
  });

  it('tries a fallback own fallbacks before the rest of the list, each group once, at most max_fallbacks', () => {
    const chain = new FallbackChain(rules(), 'a');
    const all = () => true;
    expect(chain.next('a', fault, all)).toBe('b');
    expect(chain.next('b', fault, all)).toBe('d');
    expect(chain.next('d', fault, all)).toBe('z');
    expect(chain.next('z', fault, all)).toBe('c');
    expect(chain.next('c', fault, all)).toBeUndefined();
    const short = new FallbackChain(rules({ maxFallbacks: 1 }), 'a');
    expect(short.next('a', fault, all)).toBe('b');
    expect(short.next('b', fault, all)).toBeUndefined();
  });

  it('skips groups that are not usable (unknown, or not allowed with enforce_fallback_model_access)', () => {
    const chain = new FallbackChain(rules(), 'a');
    expect(chain.next('a', fault, (n) => n === 'c')).toBe('c');
  });
});
