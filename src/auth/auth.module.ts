import { Module } from '@nestjs/common';
import { KeysModule } from '../keys/keys.module.js';
import { AuthGuard } from './auth.guard.js';
import { AuthService } from './auth.service.js';
import { UiSessionService } from './ui-session.service.js';

@Module({
  imports: [KeysModule],
  providers: [AuthService, AuthGuard, UiSessionService],
  exports: [AuthService, AuthGuard, UiSessionService],
})
export class AuthModule {}
