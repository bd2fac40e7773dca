import { Injectable, Logger } from '@nestjs/common';
import { DatabaseProbe } from '../database/database-probe.js';
import { VERSION } from '../common/version.js';

const DB_PROBE_TIMEOUT_MS = 2000;

@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);
  /** The cause goes to the log once per outage; the public answer never carries the driver's text. */
  private downLogged = false;

  constructor(private readonly db: DatabaseProbe) {}

  async readiness(): Promise<{ status: string; db: string; litellm_version: string; error?: string }> {
    try {
      await this.db.ping(DB_PROBE_TIMEOUT_MS);
      this.downLogged = false;
      return { status: 'healthy', db: 'connected', litellm_version: VERSION };
    } catch (err) {
      if (!this.downLogged) this.logger.warn(`readiness: database unreachable (${(err as Error).message})`);
      this.downLogged = true;
      return { status: 'unhealthy', db: 'Not connected', litellm_version: VERSION, error: 'database unreachable' };
    }
  }
}
