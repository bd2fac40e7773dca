import { Inject, Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { PROXY_ENV } from '../config/config.types.js';

export interface UiAsset {
  body: Buffer;
  /** Present when it saves bytes. */
  gzip?: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * Where `npm run build` puts the UI: compiled, dist/src/ui → dist/ui; from source (tests, tsx),
 * src/ui → dist/ui. `UI_DIST_DIR` names another folder (`node ui/build.mjs --out DIR`), which tests
 * use so that a concurrent `nest build` emptying dist/ cannot pull the UI away from under them.
 */
export function builtUiDir(env: NodeJS.ProcessEnv): string {
  if (env.UI_DIST_DIR) return resolve(env.UI_DIST_DIR);
  const top = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return basename(top) === 'dist' ? join(top, 'ui') : join(top, 'dist', 'ui');
}

function load(path: string): UiAsset {
  const body = readFileSync(path);
  const zipped = gzipSync(body, { level: 9 });
  return {
    body,
    gzip: zipped.length < body.length * 0.9 ? zipped : undefined,
    type: TYPES[extname(path)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

/**
 * The built UI, read into memory once at boot: a few small files, served without touching the disk
 * again, so a later `nest build` emptying dist/ cannot break a running proxy's UI.
 */
@Injectable()
export class UiAssetsService {
  private readonly logger = new Logger('UI');
  /** index.html, or undefined when the UI was not built. */
  readonly shell: UiAsset | undefined;
  private readonly assets = new Map<string, UiAsset>();

  constructor(@Inject(PROXY_ENV) env: NodeJS.ProcessEnv) {
    const dir = builtUiDir(env);
    if (!existsSync(join(dir, 'index.html'))) {
      this.logger.warn(`the admin UI is not built (${dir}/index.html is missing): run \`npm run build\``);
      return;
    }
    this.shell = load(join(dir, 'index.html'));
    const assetsDir = join(dir, 'assets');
    if (existsSync(assetsDir)) {
      for (const name of readdirSync(assetsDir)) this.assets.set(name, load(join(assetsDir, name)));
    }
  }

  /** A file under /ui/assets/ by name (names carry a content hash, so they never change). */
  asset(name: string): UiAsset | undefined {
    return this.assets.get(name);
  }
}
