import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { UiAssetsService } from './ui-assets.service.js';
import { UiAuthController } from './ui-auth.controller.js';
import { UiConfigController } from './ui-config.controller.js';
import { UiLoginService } from './ui-login.service.js';
import { UiShellController } from './ui-shell.controller.js';

/** The admin web UI at /ui/: its login and the built single-page app. Its pages call the admin API. */
@Module({
  imports: [AuthModule],
  // Order matters: the shell's catch-all GET /ui/{*path} must come after GET /ui/session.
  controllers: [UiAuthController, UiConfigController, UiShellController],
  providers: [UiLoginService, UiAssetsService],
})
export class UiModule {}
