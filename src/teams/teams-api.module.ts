import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { UsersModule } from '../users/users.module.js';
import { TeamAdminService } from './team-admin.service.js';
import { TeamsController } from './teams.controller.js';
import { TeamsModule } from './teams.module.js';

/** The /team routes: above TeamsModule because they also reach keys and users (which themselves need TeamsModule). */
@Module({
  imports: [TeamsModule, KeysModule, UsersModule],
  controllers: [TeamsController],
  providers: [TeamAdminService],
})
export class TeamsApiModule {}
