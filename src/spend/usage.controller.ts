import { Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ErrorGroupDto, LatencyResponseDto, UsageQueryDto, UsageResponseDto } from './usage.dto.js';
import { UsageService } from './usage.service.js';
import { AdminGet, BadRequest } from '../common/admin-route.decorator.js';

const BAD = BadRequest('A query parameter of the wrong type or an empty range (the message names it)');

/** The admin UI's usage page (not LiteLLM routes): every figure for one filter of dates, key, team and model. */
@ApiTags('spend')
@Controller('spend/usage')
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @AdminGet('', 'Totals, series over time (hourly or daily, optionally one per key, team or model) and top keys, teams and models', UsageResponseDto, BAD)
  get(@Query() q: UsageQueryDto): Promise<UsageResponseDto> {
    return this.usage.usage(q);
  }

  @AdminGet(
    'latency',
    'Latency and time-to-first-token percentiles (p50/p90/p99) of the newest successful requests in the range, overall and per bucket',
    LatencyResponseDto,
    BAD,
  )
  latency(@Query() q: UsageQueryDto): Promise<LatencyResponseDto> {
    return this.usage.latency(q);
  }

  @AdminGet('errors', 'Failed requests by status code, error type and model', [ErrorGroupDto], BAD)
  errors(@Query() q: UsageQueryDto): Promise<ErrorGroupDto[]> {
    return this.usage.errors(q);
  }
}
