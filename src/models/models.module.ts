import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ConfigReloadService } from './config-reload.service.js';
import { ModelRegistry } from './model-registry.service.js';
import { ModelsController } from './models.controller.js';
import { ModelsService } from './models.service.js';

@Module({
  imports: [AuditModule],
  controllers: [ModelsController],
  providers: [ModelRegistry, ModelsService, ConfigReloadService],
  exports: [ModelRegistry, ModelsService, ConfigReloadService],
})
export class ModelsModule {}
