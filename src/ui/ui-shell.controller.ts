import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiError, ErrorType } from '../common/api-error.js';
import { Public } from '../common/public.decorator.js';
import { type UiAsset, UiAssetsService } from './ui-assets.service.js';

/** Everything is same-origin and bundled: no inline script or style, no CDN. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function send(req: Request, res: Response, asset: UiAsset, cacheControl: string): void {
  res.setHeader('content-type', asset.type);
  res.setHeader('cache-control', cacheControl);
  res.setHeader('etag', asset.etag);
  res.setHeader('x-content-type-options', 'nosniff');
  if (asset.gzip) res.setHeader('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === asset.etag) {
    res.status(304).end();
    return;
  }
  const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzip! : asset.body;
  if (gzip) res.setHeader('content-encoding', 'gzip');
  res.setHeader('content-length', body.length);
  res.status(200).end(body);
}

/**
 * Serves the single-page app: hashed assets (cached for a year) and, for every other path under
 * /ui/, the shell (revalidated each time), so deep links such as /ui/key-management survive a reload.
 * Registered after UiAuthController so /ui/session and /ui/login keep their own handlers.
 */
@ApiExcludeController()
@Controller('ui')
@Public()
export class UiShellController {
  constructor(private readonly ui: UiAssetsService) {}

  @Get('assets/:file')
  asset(@Param('file') file: string, @Req() req: Request, @Res() res: Response): void {
    const asset = this.ui.asset(file);
    if (!asset) throw ApiError.notFound(`No UI asset named ${file}`);
    send(req, res, asset, 'public, max-age=31536000, immutable');
  }

  @Get(['', '{*path}'])
  shell(@Req() req: Request, @Res() res: Response): void {
    // Relative asset URLs and the router both expect the trailing slash.
    if (req.path === '/ui') {
      const q = req.originalUrl.indexOf('?');
      res.redirect(301, `/ui/${q >= 0 ? req.originalUrl.slice(q) : ''}`);
      return;
    }
    if (!this.ui.shell) throw new ApiError(503, ErrorType.ServiceUnavailable, 'The admin UI is not built: run `npm run build` and restart the proxy.');
    res.setHeader('content-security-policy', CSP);
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    send(req, res, this.ui.shell, 'no-cache');
  }
}
