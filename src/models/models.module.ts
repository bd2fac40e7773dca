import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { ConfigReloadService } from './config-reload.service.js';
import { ModelRegistry } from './model-registry.service.js';
import { ModelsController } from './models.controller.js';
import { ModelsService } from './models.service.js';
import { ProxyModelEntity } from './proxy-model.entity.js';

/** The model registry (config and LiteLLM_ProxyModelTable models, one view), its reload and the /model routes. */
@Module({
  imports: [TypeOrmModule.forFeature([ProxyModelEntity]), AuditModule],
  controllers: [ModelsController],
  providers: [ModelRegistry, ModelsService, ConfigReloadService],
  exports: [ModelRegistry, ModelsService, ConfigReloadService],
})
export class ModelsModule {}
