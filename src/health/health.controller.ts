import { Controller, Get, Header, HttpCode, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AdminOnly, Public } from '../common/public.decorator.js';
import { BackendHealthService } from './backend-health.service.js';
import { DeploymentsHealthDto } from './deployment-health.dto.js';
import { DeploymentStateService } from './deployment-state.service.js';
import { HealthService } from './health.service.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly backends: BackendHealthService,
    private readonly deploymentHealth: DeploymentStateService,
  ) {}

  @Get('deployments')
  @AdminOnly()
  @ApiOperation({
    summary:
      "Each deployment's state (healthy, cooling_down with the last error and until when, unreachable), in-flight requests and vLLM's queue and KV-cache use",
  })
  @ApiOkResponse({ type: DeploymentsHealthDto })
  deployments(): Promise<DeploymentsHealthDto> {
    return this.deploymentHealth.deployments();
  }

  @Get()
  @AdminOnly()
  @ApiOperation({ summary: 'Probe every deployment (or those of ?model=alias): healthy and unhealthy lists' })
  backendsHealth(@Query('model') model?: string) {
    return this.backends.check(model);
  }

  @Get(['liveliness', 'liveness'])
  @Public()
  @HttpCode(200)
  @Header('content-type', 'application/json')
  @ApiOperation({ summary: 'The process is up (no key needed)' })
  @ApiOkResponse({ schema: { type: 'string', example: "I'm alive!" } })
  liveliness(): string {
    // LiteLLM answers a JSON string.
    return JSON.stringify("I'm alive!");
  }

  @Get('readiness')
  @Public()
  @ApiOperation({ summary: 'Ready to serve: reports the database (503 when it is not reachable)' })
  @ApiOkResponse({ schema: { example: { status: 'healthy', db: 'connected', litellm_version: '0.1.0' } } })
  @ApiServiceUnavailableResponse({ description: 'database not connected' })
  async readiness(@Res({ passthrough: true }) res: Response): Promise<Record<string, unknown>> {
    const report = await this.health.readiness();
    if (report.db !== 'connected') res.status(503);
    return report;
  }
}
