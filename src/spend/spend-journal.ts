import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { SpendEntry } from './spend-entry.js';

/*
 * The spend journal: what this process holds that is not yet in PostgreSQL, on disk under
 * `PROXY_DATA_DIR/spend-journal/`, one JSON-lines file per process (`<pid>-<random>.jsonl`).
 * Lines are `{"entry": {...}}`, in the writer's queue order, and `{"written": n}`: the first n
 * entries of this file are in the database (or dead-lettered). The file is removed once all are.
 * At start, files of processes that are gone are claimed (atomic rename, so two workers starting
 * together never take the same file) and what they hold past their last mark is booked again.
 */

export const JOURNAL_DIR = 'spend-journal';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function appendLines(path: string, lines: string[], sync: boolean): Promise<void> {
  const fh = await open(path, 'a', 0o600);
  try {
    // Written in chunks: one huge string would double the memory of a large backlog.
    for (let i = 0; i < lines.length; i += 1000) await fh.write(lines.slice(i, i + 1000).join(''));
    if (sync) await fh.datasync();
  } finally {
    await fh.close();
  }
}

export interface Leftovers {
  entries: SpendEntry[];
  /** Claimed files: remove once their entries are safe in this process's own journal. */
  files: string[];
  /** Lines that could not be read (a crash mid-append cuts the last one). */
  unreadable: number;
}

/** The base names (`<pid>-<random>`) of the journals open in this process: each owns its file and its claims. */
const openHere = new Set<string>();

export class SpendJournal {
  readonly dir: string;
  readonly file: string;
  private readonly base: string;
  private readonly logger = new Logger('SpendWriter');
  private chain: Promise<unknown> = Promise.resolve();
  private exists = false;
  /** The first `held` entries of the writer's queue are in the file... */
  held = 0;
  /** ...after `done` entries of the file that are already in the database. */
  private done = 0;

  constructor(dataDir: string) {
    this.dir = join(dataDir, JOURNAL_DIR);
    this.base = `${process.pid}-${randomBytes(4).toString('hex')}`;
    this.file = join(this.dir, `${this.base}.jsonl`);
    openHere.add(this.base);
  }

  /** Journal operations run one after another (appends, marks and removal never interleave). */
  private run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.chain.then(op, op);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Appends what `queue` holds past the journaled prefix (the database is unreachable). Never throws. */
  async appendFrom(queue: () => SpendEntry[]): Promise<void> {
    // Captured inside the chain: two calls never append the same entries twice.
    await this.run(async () => {
      const fresh = queue().slice(this.held);
      if (fresh.length === 0) return;
      try {
        await this.write(fresh);
        this.held += fresh.length;
      } catch (err) {
        this.logger.error(`spend journal: cannot write ${this.file}: ${(err as Error).message}; ${fresh.length} record(s) only in memory`);
      }
    });
  }

  /** Entries replayed from earlier runs' files, now at the head of an empty queue, are journaled here. */
  async adopt(entries: SpendEntry[]): Promise<void> {
    await this.run(() => this.write(entries));
    this.held = entries.length;
  }

  /** The first `n` entries of the queue are in the database (or set aside): marked, or the file goes. Never throws. */
  async settled(n: number): Promise<void> {
    const j = Math.min(n, this.held);
    if (j === 0) return;
    this.held -= j;
    this.done += j;
    const done = this.done;
    try {
      if (this.held > 0) {
        await this.run(async () => {
          if (this.exists) await appendLines(this.file, [`{"written":${done}}\n`], false);
        });
        return;
      }
      this.done = 0;
      await this.run(async () => {
        if (!this.exists) return;
        await unlink(this.file).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
        this.exists = false;
      });
    } catch (err) {
      this.logger.error(`spend journal: cannot update ${this.file}: ${(err as Error).message}`);
    }
  }

  /** Appends entries, synced to disk before it resolves (inside the chain). */
  private async write(entries: SpendEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    await appendLines(
      this.file,
      entries.map((e) => `${JSON.stringify({ entry: e })}\n`),
      true,
    );
    this.exists = true;
  }

  /** Claims and reads the journals of processes that are gone (and of earlier runs under this pid). */
  async claimLeftovers(): Promise<Leftovers> {
    const out: Leftovers = { entries: [], files: [], unreadable: 0 };
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    let n = 0;
    for (const name of names.filter((f) => f.endsWith('.jsonl')).sort()) {
      const base = /^(\d+-[0-9a-f]+)[.-]/.exec(name)?.[1];
      if (base && openHere.has(base)) continue; // this or another journal of this process (and its claims)
      const owner = Number(/^(\d+)-/.exec(name)?.[1]);
      // A sibling worker that is running owns its file; an earlier process under our own pid does not.
      if (owner && owner !== process.pid && alive(owner)) continue;
      const claimed = join(this.dir, `${this.base}-claimed-${n++}.jsonl`);
      try {
        await rename(join(this.dir, name), claimed);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // another worker took it
        throw err;
      }
      out.files.push(claimed);
      const { entries, unreadable } = parseJournal(await readFile(claimed, 'utf8'));
      out.entries.push(...entries);
      out.unreadable += unreadable;
    }
    return out;
  }

  /** This process no longer writes the file: what it holds is a leftover for the next start, even under this pid. */
  close(): void {
    openHere.delete(this.base);
  }

  async removeFiles(files: string[]): Promise<void> {
    for (const f of files) await unlink(f).catch(() => undefined);
  }
}

/** The entries of a journal past its last `written` mark. */
export function parseJournal(text: string): { entries: SpendEntry[]; unreadable: number } {
  const entries: SpendEntry[] = [];
  let written = 0;
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const rec = JSON.parse(line) as { entry?: SpendEntry; written?: number };
      if (rec.entry && typeof rec.entry === 'object') entries.push(rec.entry);
      else if (typeof rec.written === 'number') written = Math.max(written, rec.written);
      else unreadable++;
    } catch {
      unreadable++;
    }
  }
  return { entries: entries.slice(written), unreadable };
}
