import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JOURNAL_DIR, parseJournal, SpendJournal } from './spend-journal.js';

// pid_max on Linux is at most 2^22: this owner can never be alive.
const DEAD_PID = 4_194_305;
const line = (id: string) => `${JSON.stringify({ entry: { requestId: id, apiKey: 'k', spend: 1 } })}\n`;

describe('SpendJournal.claimLeftovers', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const setup = (files: Record<string, string>) => {
    dir = mkdtempSync(join(tmpdir(), 'mp-journal-unit-'));
    mkdirSync(join(dir, JOURNAL_DIR));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, JOURNAL_DIR, name), text);
  };

  it('workers starting together claim each file once (atomic rename)', async () => {
    setup({ [`${DEAD_PID}-aaaa.jsonl`]: line('a') + line('b'), [`${DEAD_PID}-bbbb.jsonl`]: line('c') });
    const claims = await Promise.all(Array.from({ length: 4 }, () => new SpendJournal(dir).claimLeftovers()));
    const ids = claims.flatMap((c) => c.entries.map((e) => e.requestId)).sort();
    expect(ids).toEqual(['a', 'b', 'c']);
  });

  it("one after another in one process, a journal leaves the files another has claimed (they are that one's)", async () => {
    setup({ [`${DEAD_PID}-aaaa.jsonl`]: line('a') });
    const first = await new SpendJournal(dir).claimLeftovers();
    const second = await new SpendJournal(dir).claimLeftovers();
    expect([first.entries.length, second.entries.length]).toEqual([1, 0]);
  });

  it('a closed journal is a leftover for the next one, even under the same pid', async () => {
    setup({});
    const j = new SpendJournal(dir);
    await j.adopt([JSON.parse(line('kept')).entry]);
    j.close();
    expect((await new SpendJournal(dir).claimLeftovers()).entries.map((e) => e.requestId)).toEqual(['kept']);
  });

  it("leaves the file of a running sibling (another live pid) alone, and takes its own pid's earlier files", async () => {
    setup({ [`${process.ppid}-cccc.jsonl`]: line('sibling'), [`${process.pid}-dddd.jsonl`]: line('earlier') });
    const j = new SpendJournal(dir);
    const left = await j.claimLeftovers();
    expect(left.entries.map((e) => e.requestId)).toEqual(['earlier']);
    await j.removeFiles(left.files);
    expect(readdirSync(join(dir, JOURNAL_DIR))).toEqual([`${process.ppid}-cccc.jsonl`]);
  });

  it('journals, marks and removes: the file goes once everything journaled is written', async () => {
    setup({});
    const j = new SpendJournal(dir);
    const queue = [line('x'), line('y'), line('z')].map((l) => JSON.parse(l).entry);
    await j.appendFrom(() => queue);
    expect(j.held).toBe(3);
    await j.settled(2);
    expect(parseJournal(readFileSync(j.file, 'utf8')).entries.map((e) => e.requestId)).toEqual(['z']);
    await j.settled(1);
    expect(readdirSync(join(dir, JOURNAL_DIR))).toEqual([]);
  });
});
