import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ModelsModule } from '../models/models.module.js';
import { SpendModule } from '../spend/spend.module.js';
import { TeamsModule } from '../teams/teams.module.js';
import { KeysController } from './keys.controller.js';
import { KeysService } from './keys.service.js';

@Module({
  imports: [SpendModule, ModelsModule, TeamsModule, AuditModule],
  controllers: [KeysController],
  providers: [KeysService],
  exports: [KeysService],
})
export class KeysModule {}
