import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { ModelsModule } from '../models/models.module.js';
import { SpendModule } from '../spend/spend.module.js';
import { TeamsModule } from '../teams/teams.module.js';
import { KeysController } from './keys.controller.js';
import { KeysService } from './keys.service.js';
import { VerificationTokenEntity } from './verification-token.entity.js';

/** LiteLLM_VerificationToken, its named operations and the /key routes. */
@Module({
  imports: [TypeOrmModule.forFeature([VerificationTokenEntity]), SpendModule, ModelsModule, TeamsModule, AuditModule],
  controllers: [KeysController],
  providers: [KeysService],
  exports: [KeysService],
})
export class KeysModule {}
