import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { intEnv } from '../config/config.loader.js';
import { APP_CONFIG, type AppConfig, PROXY_ENV } from '../config/config.types.js';
import { buildDataSourceOptions, DEFAULT_STATEMENT_TIMEOUT_MS } from './database.options.js';
import { DbEventsService } from './db-events.service.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG, PROXY_ENV],
      // Migrations already ran (under a lock) before Nest started; see bootstrap.
      useFactory: (config: AppConfig, env: NodeJS.ProcessEnv) => ({
        ...buildDataSourceOptions(config.databaseUrl!, intEnv(env, 'DB_STATEMENT_TIMEOUT_MS', DEFAULT_STATEMENT_TIMEOUT_MS, 0, 3_600_000)),
        retryAttempts: 0,
      }),
    }),
  ],
  providers: [DbEventsService],
  exports: [DbEventsService],
})
export class DatabaseModule {}
