import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { KeysModule } from '../keys/keys.module.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { UiSessionEntity } from './ui-session.entity.js';
import { UiSessionService } from './ui-session.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([UiSessionEntity]), KeysModule],
  providers: [AuthService, AuthGuard, UiSessionService],
  exports: [AuthService, AuthGuard, UiSessionService],
})
export class AuthModule {}
