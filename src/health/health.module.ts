import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module.js';
import { ProxyModule } from '../proxy/proxy.module.js';
import { UpstreamModule } from '../upstream/upstream.module.js';
import { BackendHealthService } from './backend-health.service.js';
import { DeploymentStateService } from './deployment-state.service.js';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';

@Module({
  imports: [ModelsModule, UpstreamModule, ProxyModule],
  controllers: [HealthController],
  providers: [HealthService, BackendHealthService, DeploymentStateService],
})
export class HealthModule {}
