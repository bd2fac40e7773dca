import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type KeyRecord, type KeyRow, toKeyRecord } from './key-record.js';

const KEY_COLUMNS = `token, key_name, key_alias, models, spend, max_budget, expires, blocked, rpm_limit, tpm_limit, max_parallel_requests, user_id, team_id`;

@Injectable()
export class KeysService {
  constructor(private readonly dataSource: DataSource) {}

  /** One raw read for the auth cache (no ORM on the hot path). */
  async findByToken(token: string): Promise<KeyRecord | undefined> {
    const rows: KeyRow[] = await this.dataSource.query(`SELECT ${KEY_COLUMNS} FROM "LiteLLM_VerificationToken" WHERE token = $1`, [token]);
    return rows[0] ? toKeyRecord(rows[0]) : undefined;
  }
}
