import { Controller, Get, Header, Headers, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { IncomingHttpHeaders } from 'node:http';
import { extractKey } from '../auth/key-extract.js';
import { ApiError } from '../common/api-error.js';
import { Public } from '../common/public.decorator.js';
import { safeEqual } from '../common/secrets.js';
import { APP_CONFIG, type AppConfig, PROXY_ENV } from '../config/config.types.js';
import { MetricsService } from './metrics.service.js';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PROXY_ENV) private readonly env: NodeJS.ProcessEnv,
  ) {}

  @Get()
  // Checked here: the master key or a scrape-only METRICS_TOKEN, so Prometheus needs no admin key.
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics (master key, or METRICS_TOKEN as bearer)' })
  async scrape(@Headers() headers: IncomingHttpHeaders): Promise<string> {
    const key = extractKey(headers);
    const token = this.env.METRICS_TOKEN;
    if (!key || !(safeEqual(key, this.config.masterKey) || (token !== undefined && token !== '' && safeEqual(key, token)))) {
      throw ApiError.unauthorized('Authentication Error: /metrics needs the master key or METRICS_TOKEN.');
    }
    return this.metrics.render();
  }
}
