import { mkdir } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import type { SpendEntry } from './spend-entry.js';
import { appendLines } from './spend-journal.js';
import { sqlState } from './spend-sql.js';

export const DEAD_LETTER_FILE = 'spend-dead-letter.jsonl';

/** Rows PostgreSQL refused for a data reason, one JSON line each, kept for a person to look at. */
export class DeadLetter {
  readonly file: string;
  private readonly logger = new Logger('SpendWriter');
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dataDir: string) {
    this.file = join(dataDir, DEAD_LETTER_FILE);
  }

  /** Sets a record aside, with a log line. Never throws (if even the file fails, the log line carries the record). */
  add(entry: SpendEntry, err: unknown): Promise<void> {
    const error = { code: sqlState(err), message: (err as Error).message };
    this.logger.error(
      `spend writer: PostgreSQL refused the spend record of request ${entry.requestId} (${error.code} ${error.message}); set aside in ${this.file}`,
    );
    const line = `${JSON.stringify({ at: new Date().toISOString(), error, entry })}\n`;
    const op = async () => {
      await mkdir(this.dataDir, { recursive: true });
      await appendLines(this.file, [line], true);
    };
    const next = this.chain
      .then(op, op)
      .catch((e: Error) => this.logger.error(`spend writer: cannot write ${this.file}: ${e.message}; the record was ${line}`));
    this.chain = next;
    return next;
  }
}
