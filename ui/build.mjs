// Builds the admin UI (ui/src) into dist/ui, which the proxy serves at /ui/: `node ui/build.mjs`
// (`--out DIR` builds elsewhere; the proxy then needs UI_DIST_DIR=DIR). One hashed JS bundle and one
// hashed CSS file (cached for a year by the proxy) and index.html (revalidated on every load) that
// names them. No CDN: everything the page needs is in that one folder.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv.indexOf('--out');
const finalDir = out > 0 && process.argv[out + 1] ? resolve(process.argv[out + 1]) : join(root, 'dist', 'ui');
// Built aside and swapped in at the end, so the folder is never seen half-written.
const outDir = join(dirname(finalDir), `.ui-build-${process.pid}`);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: ['ui/src/main.tsx'],
  outdir: join(outDir, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  format: 'esm',
  // Browsers from 2023 on (the CSS uses color-mix and :has).
  target: ['chrome111', 'firefox121', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  tsconfig: 'ui/tsconfig.json',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
}).catch((err) => {
  rmSync(outDir, { recursive: true, force: true });
  throw err;
});

const [js, output] = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint === 'ui/src/main.tsx');
if (!output.cssBundle) throw new Error('ui/build.mjs: the bundle has no CSS (ui/src/main.tsx must import styles.css)');
const html = readFileSync(join(root, 'ui', 'index.html'), 'utf8')
  .replace('%APP_JS%', `/ui/assets/${basename(js)}`)
  .replace('%APP_CSS%', `/ui/assets/${basename(output.cssBundle)}`);
writeFileSync(join(outDir, 'index.html'), html);
rmSync(finalDir, { recursive: true, force: true });
renameSync(outDir, finalDir);

const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`ui: built ${Object.keys(result.metafile.outputs).length} files (${(bytes / 1024).toFixed(0)} KiB) into ${finalDir}`);
