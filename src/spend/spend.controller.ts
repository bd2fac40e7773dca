import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/public.decorator.js';
import { SpendLogsQueryDto, SpendReportQueryDto } from './spend-report.dto.js';
import { SpendReportService } from './spend-report.service.js';

@ApiTags('spend')
@Controller()
export class SpendController {
  constructor(private readonly reports: SpendReportService) {}

  @Get('spend/logs')
  @AdminOnly()
  @ApiOperation({ summary: 'Spend log rows, newest first (filter by key, request id, model, dates; paged)' })
  logs(@Query() q: SpendLogsQueryDto) {
    return this.reports.logs(q);
  }

  @Get('global/spend')
  @AdminOnly()
  @ApiOperation({ summary: 'Total spend booked' })
  global() {
    return this.reports.global();
  }

  @Get('global/spend/report')
  @AdminOnly()
  @ApiOperation({ summary: 'Spend and tokens grouped by day (default), api_key or model' })
  report(@Query() q: SpendReportQueryDto) {
    return this.reports.report(q);
  }
}
