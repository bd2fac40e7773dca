import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

const DB_PROBE_TIMEOUT_MS = 2000;
export const VERSION = '0.1.0';

@Injectable()
export class HealthService {
  constructor(private readonly dataSource: DataSource) {}

  async readiness(): Promise<{ status: string; db: string; litellm_version: string; error?: string }> {
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), DB_PROBE_TIMEOUT_MS).unref()),
      ]);
      return { status: 'healthy', db: 'connected', litellm_version: VERSION };
    } catch (err) {
      return { status: 'unhealthy', db: 'Not connected', litellm_version: VERSION, error: (err as Error).message };
    }
  }
}
