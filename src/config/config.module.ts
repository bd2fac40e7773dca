import { DynamicModule, Global, Module } from '@nestjs/common';
import { LOGGER, type Logger } from '../common/logger.js';
import { APP_CONFIG, type AppConfig, PROXY_ENV } from './config.types.js';

/** Provides the config validated at boot (built once, before Nest starts), the boot environment and the logger. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig, env: NodeJS.ProcessEnv, logger: Logger): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: PROXY_ENV, useValue: env },
        { provide: LOGGER, useValue: logger },
      ],
      exports: [APP_CONFIG, PROXY_ENV, LOGGER],
    };
  }
}
