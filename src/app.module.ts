import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { AuthGuard } from './auth/auth.guard.js';
import { AuthModule } from './auth/auth.module.js';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import type { Logger } from './common/logger.js';
import { adminValidationPipe } from './common/validation.js';
import { RequestLogMiddleware } from './common/request-log.middleware.js';
import { ConfigModule } from './config/config.module.js';
import type { AppConfig } from './config/config.types.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { KeysModule } from './keys/keys.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { ModelsModule } from './models/models.module.js';
import { ProxyModule } from './proxy/proxy.module.js';
import { SpendModule } from './spend/spend.module.js';
import { TeamsApiModule } from './teams/teams-api.module.js';
import { UiModule } from './ui/ui.module.js';
import { UsersModule } from './users/users.module.js';

/** Global pipe, filter and guard are providers here, so a test that builds AppModule gets the production pipeline. */
@Module({})
export class AppModule implements NestModule {
  static forRoot(config: AppConfig, env: NodeJS.ProcessEnv, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config, env, logger),
        DatabaseModule,
        AuthModule,
        KeysModule,
        ModelsModule,
        ProxyModule,
        SpendModule,
        HealthModule,
        MetricsModule,
        UiModule,
        TeamsApiModule,
        UsersModule,
      ],
      providers: [
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        {
          provide: APP_PIPE,
          useValue: adminValidationPipe(),
        },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestLogMiddleware).forRoutes('*path');
  }
}
