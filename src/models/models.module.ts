import { Module } from '@nestjs/common';
import { ModelRegistry } from './model-registry.service.js';

@Module({
  providers: [ModelRegistry],
  exports: [ModelRegistry],
})
export class ModelsModule {}
