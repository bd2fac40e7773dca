import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig, PROXY_ENV } from './config.types.js';

/** Provides the config validated at boot; built once, before Nest starts. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig, env: NodeJS.ProcessEnv): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: PROXY_ENV, useValue: env },
      ],
      exports: [APP_CONFIG, PROXY_ENV],
    };
  }
}
