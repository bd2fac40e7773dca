import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module.js';
import { ProxyModule } from '../proxy/proxy.module.js';
import { BackendHealthService } from './backend-health.service.js';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';

@Module({
  imports: [ModelsModule, ProxyModule],
  controllers: [HealthController],
  providers: [HealthService, BackendHealthService],
})
export class HealthModule {}
