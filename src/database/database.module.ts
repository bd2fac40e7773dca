import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';
import { buildDataSourceOptions } from './database.options.js';
import { DatabaseProbe } from './database-probe.js';
import { DbEventsService } from './db-events.service.js';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      // Migrations already ran (under a lock) before Nest started; see bootstrap.
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config.databaseUrl!, config.dbStatementTimeoutMs),
        retryAttempts: 0,
        // Each module registers its own entities (TypeOrmModule.forFeature).
        autoLoadEntities: true,
      }),
    }),
  ],
  providers: [DbEventsService, DatabaseProbe],
  exports: [DbEventsService, DatabaseProbe],
})
export class DatabaseModule {}
