import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AdminOnly } from '../common/public.decorator.js';
import { ErrorGroupDto, LatencyResponseDto, UsageQueryDto, UsageResponseDto } from './usage.dto.js';
import { UsageService } from './usage.service.js';

const BAD = ApiBadRequestResponse({ type: ErrorResponse, description: 'A query parameter of the wrong type or an empty range (the message names it)' });

/** The admin UI's usage page (not LiteLLM routes): every figure for one filter of dates, key, team and model. */
@ApiTags('spend')
@Controller('spend/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @AdminOnly()
  @ApiOperation({ summary: 'Totals, series over time (hourly or daily, optionally one per key, team or model) and top keys, teams and models' })
  @ApiOkResponse({ type: UsageResponseDto })
  @BAD
  get(@Query() q: UsageQueryDto): Promise<UsageResponseDto> {
    return this.usage.usage(q);
  }

  @Get('latency')
  @AdminOnly()
  @ApiOperation({ summary: 'Latency and time-to-first-token percentiles (p50/p90/p99) of the newest successful requests in the range, overall and per bucket' })
  @ApiOkResponse({ type: LatencyResponseDto })
  @BAD
  latency(@Query() q: UsageQueryDto): Promise<LatencyResponseDto> {
    return this.usage.latency(q);
  }

  @Get('errors')
  @AdminOnly()
  @ApiOperation({ summary: 'Failed requests by status code, error type and model' })
  @ApiOkResponse({ type: ErrorGroupDto, isArray: true })
  @BAD
  errors(@Query() q: UsageQueryDto): Promise<ErrorGroupDto[]> {
    return this.usage.errors(q);
  }
}
