import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ALL_ENTITIES } from './all-entities.js';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('ALL_ENTITIES (the migration CLI list)', () => {
  it('holds every *.entity.ts under src/, so migration:generate sees every table a module registers', async () => {
    const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.entity.ts'));
    const exported = await Promise.all(files.map(async (f) => Object.values(await import(join(SRC, f))) as unknown[]));
    for (const [i, classes] of exported.entries()) {
      expect(
        classes.some((c) => ALL_ENTITIES.includes(c as (typeof ALL_ENTITIES)[number])),
        files[i],
      ).toBe(true);
    }
    expect(ALL_ENTITIES).toHaveLength(files.length);
  });
});
