import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BUILD = fileURLToPath(new URL('../../ui/build.mjs', import.meta.url));

export interface BuiltUi {
  /** Pass as `UI_DIST_DIR` to the app under test. */
  dir: string;
  remove(): void;
}

/**
 * Builds the UI from ui/src (`node ui/build.mjs --out …`) into a folder of this test file's own:
 * dist/ can be emptied at any moment by a `nest build` elsewhere, and the sources may be newer.
 */
export async function buildUi(): Promise<BuiltUi> {
  const root = mkdtempSync(join(tmpdir(), 'mp-ui-'));
  const dir = join(root, 'ui');
  await promisify(execFile)(process.execPath, [BUILD, '--out', dir]);
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}
