import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startProxy, type ProxyApp } from '../../src/bootstrap.js';
import type { Logger } from '../../src/common/logger.js';

export const MASTER_KEY = 'sk-fc-test-master-key-0123456789';
export const SALT_KEY = 'sk-salt-test-salt-key-0123456789';

export interface TestModel {
  model_name: string;
  litellm_params: Record<string, unknown>;
  model_info?: Record<string, unknown>;
}

export interface TestProxyOptions {
  databaseUrl: string;
  models?: TestModel[];
  /** Extra top-level YAML sections (router_settings, litellm_settings...), as objects. */
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  /** A pino logger to capture what the app logs (default: silent). */
  logger?: Logger;
}

export interface TestProxy {
  proxy: ProxyApp;
  url: string;
  dir: string;
  /** The official SDK pointed at the proxy. */
  client(apiKey?: string): OpenAI;
  /** fetch against the proxy with the master key unless `key` says otherwise (null = no key). */
  fetch(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/** Boots the real app (the same `startProxy` as `npm start`) on a port of its own. */
export async function startTestProxy(opts: TestProxyOptions): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'mp-test-'));
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, JSON.stringify({ model_list: opts.models ?? [], ...opts.settings }));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LITELLM_MASTER_KEY: MASTER_KEY,
    LITELLM_SALT_KEY: SALT_KEY,
    DATABASE_URL: opts.databaseUrl,
    PROXY_CONFIG: configPath,
    TOKENS_ENV: join(dir, 'tokens.env'),
    PROXY_DATA_DIR: join(dir, '.data'),
    PORT: '0',
    HOST: '127.0.0.1',
    SPEND_FLUSH_MS: '50',
    ...opts.env,
  };
  const proxy = await startProxy(env, { logger: opts.logger ?? false });
  const url = proxy.url;
  return {
    proxy,
    url,
    dir,
    client: (apiKey = MASTER_KEY) => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 }),
    fetch: (path, init = {}) => {
      const { key = MASTER_KEY, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (key !== null) headers.set('authorization', `Bearer ${key}`);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${url}${path}`, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
    },
    close: async () => {
      await proxy.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
