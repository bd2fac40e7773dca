import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ModelsModule } from '../models/models.module.js';
import { SpendModule } from '../spend/spend.module.js';
import { OpenAIModelsController } from './openai-models.controller.js';
import { ProxyHandler } from './proxy.handler.js';
import { RouterService } from './router.service.js';
import { UpstreamClient } from './upstream.client.js';

@Module({
  imports: [AuthModule, ModelsModule, SpendModule, LimitsModule, MetricsModule],
  controllers: [OpenAIModelsController],
  providers: [ProxyHandler, RouterService, UpstreamClient],
  exports: [ProxyHandler, RouterService, UpstreamClient],
})
export class ProxyModule {}
