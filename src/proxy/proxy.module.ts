import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { ModelsModule } from '../models/models.module.js';
import { SpendModule } from '../spend/spend.module.js';
import { UpstreamModule } from '../upstream/upstream.module.js';
import { OpenAIModelsController } from './openai-models.controller.js';
import { ProxyHandler } from './proxy.handler.js';
import { RouterService } from './router.service.js';

@Module({
  imports: [AuthModule, ModelsModule, SpendModule, LimitsModule, MetricsModule, UpstreamModule],
  controllers: [OpenAIModelsController],
  providers: [ProxyHandler, RouterService],
  exports: [ProxyHandler, RouterService],
})
export class ProxyModule {}
