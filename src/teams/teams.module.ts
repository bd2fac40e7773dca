import { AuditModule } from '../audit/audit.module.js';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ModelsModule } from '../models/models.module.js';
import { SpendModule } from '../spend/spend.module.js';
import { TeamEntity } from './team.entity.js';
import { TeamsService } from './teams.service.js';

/** LiteLLM_TeamTable and its named operations; the /team routes are in TeamsApiModule (they also need keys and users). */
@Module({
  imports: [TypeOrmModule.forFeature([TeamEntity]), SpendModule, ModelsModule, AuditModule],
  providers: [TeamsService],
  exports: [TeamsService],
})
export class TeamsModule {}
