import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { UiSessionService } from '../auth/ui-session.service.js';
import { Public } from '../common/public.decorator.js';
import { UiLoginDto } from './login.dto.js';
import { UiLoginService } from './ui-login.service.js';

/** The web UI's session: log in with `admin` + the master key, get an HttpOnly cookie; log out. */
@ApiTags('ui')
@Controller('ui')
@Public()
export class UiAuthController {
  constructor(
    private readonly login: UiLoginService,
    private readonly sessions: UiSessionService,
  ) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Open a web UI session (username admin, password = master key); 5 failures a minute per address, then 429' })
  async open(@Body() dto: UiLoginDto, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const session = await this.login.login(dto.username, dto.password, req.ip ?? req.socket.remoteAddress ?? 'unknown');
    res.setHeader('set-cookie', this.sessions.cookie(session, req.secure));
    return { expires_at: new Date(session.expiresAt).toISOString() };
  }

  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'End the web UI session' })
  async close(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    await this.login.logout(req.headers);
    res.setHeader('set-cookie', this.sessions.clearedCookie(req.secure));
    return { logged_out: true };
  }

  @Get('session')
  @ApiOperation({ summary: "Whether the browser's UI session cookie is live" })
  async current(@Req() req: Request) {
    const session = await this.login.current(req.headers);
    return { authenticated: session !== undefined, expires_at: session ? new Date(session.expiresAt).toISOString() : null };
  }
}
