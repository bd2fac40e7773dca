import { Injectable } from '@nestjs/common';
import { InjectEntityManager } from '@nestjs/typeorm';
import type { EntityManager } from 'typeorm';

/** Whether the app's pool reaches PostgreSQL: for readiness, which owns no table. */
@Injectable()
export class DatabaseProbe {
  constructor(@InjectEntityManager() private readonly manager: EntityManager) {}

  /** One `SELECT 1`; rejects when the database errs or gives no answer within `timeoutMs`. */
  async ping(timeoutMs: number): Promise<void> {
    await Promise.race([
      this.manager.query('SELECT 1'),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  }
}
