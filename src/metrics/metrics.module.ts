import { Module } from '@nestjs/common';
import { LimitsModule } from '../limits/limits.module.js';
import { ModelsModule } from '../models/models.module.js';
import { SpendModule } from '../spend/spend.module.js';
import { UpstreamModule } from '../upstream/upstream.module.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

@Module({
  imports: [SpendModule, LimitsModule, ModelsModule, UpstreamModule],
  controllers: [MetricsController],
  providers: [MetricsService],
  exports: [MetricsService],
})
export class MetricsModule {}
