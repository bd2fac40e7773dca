import { expect } from 'vitest';
import { ConfigError } from '../../src/config/config.error.js';
import { parseProxyConfig } from '../../src/config/config.loader.js';

/** The upstream every config unit spec points at. */
export const BASE = 'http://127.0.0.1:8123/v1';

/** One model entry as YAML flow mappings, with `params`/`info` overriding the defaults. */
export function model(name: string, params: Record<string, unknown> = {}, info?: Record<string, unknown>): Record<string, unknown> {
  return {
    model_name: name,
    litellm_params: { model: `openai/google/${name}`, api_base: BASE, ...params },
    ...(info ? { model_info: info } : {}),
  };
}

/** JSON is YAML: configs are written as objects to keep the cases readable. */
export function parse(config: unknown, env: NodeJS.ProcessEnv = {}) {
  return parseProxyConfig(JSON.stringify(config), env);
}

/** The message of the ConfigError `fn` throws (fails the test when it throws none, or something else). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}
