import { Module } from '@nestjs/common';
import { ModelsModule } from '../models/models.module.js';
import { BackendLoadService } from './backend-load.service.js';
import { DeploymentHealthService } from './deployment-health.service.js';
import { UpstreamClient } from './upstream.client.js';

/** The pooled HTTP client to the backends, and the background readers of their load and health. */
@Module({
  imports: [ModelsModule],
  providers: [UpstreamClient, BackendLoadService, DeploymentHealthService],
  exports: [UpstreamClient, BackendLoadService, DeploymentHealthService],
})
export class UpstreamModule {}
