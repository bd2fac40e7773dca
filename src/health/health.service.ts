import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { VERSION } from '../common/version.js';

const DB_PROBE_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);
  /** The cause goes to the log once per outage; the public answer never carries the driver's text. */
  private downLogged = false;

  constructor(private readonly dataSource: DataSource) {}

  async readiness(): Promise<{ status: string; db: string; litellm_version: string; error?: string }> {
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${DB_PROBE_TIMEOUT_MS} ms`)), DB_PROBE_TIMEOUT_MS).unref()),
      ]);
      this.downLogged = false;
      return { status: 'healthy', db: 'connected', litellm_version: VERSION };
    } catch (err) {
      if (!this.downLogged) this.logger.warn(`readiness: database unreachable (${(err as Error).message})`);
      this.downLogged = true;
      return { status: 'unhealthy', db: 'Not connected', litellm_version: VERSION, error: 'database unreachable' };
    }
  }
}
