import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto.js';
import { AdminOnly } from '../common/public.decorator.js';
import { SpendLogsQueryDto, SpendReportQueryDto } from './spend-report.dto.js';
import { SpendReportService } from './spend-report.service.js';
import { GlobalSpendDto, SpendLogRowDto, SpendReportRowDto } from './spend-response.dto.js';

const BAD = ApiBadRequestResponse({ type: ErrorResponse, description: 'A query parameter of the wrong type (the message names it)' });

@ApiTags('spend')
@Controller()
export class SpendController {
  constructor(private readonly reports: SpendReportService) {}

  @Get('spend/logs')
  @AdminOnly()
  @ApiOperation({ summary: 'Spend log rows, newest first: every row for the filter (key, user, request id, model, dates), or one page with page/page_size' })
  @ApiOkResponse({ type: SpendLogRowDto, isArray: true })
  @BAD
  logs(@Query() q: SpendLogsQueryDto): Promise<SpendLogRowDto[]> {
    return this.reports.logs(q);
  }

  @Get('global/spend')
  @AdminOnly()
  @ApiOperation({ summary: 'Total spend booked' })
  @ApiOkResponse({ type: GlobalSpendDto })
  global(): Promise<GlobalSpendDto> {
    return this.reports.global();
  }

  @Get('global/spend/report')
  @AdminOnly()
  @ApiOperation({ summary: 'Spend and tokens grouped by day (default), api_key or model' })
  @ApiOkResponse({ type: SpendReportRowDto, isArray: true })
  @BAD
  report(@Query() q: SpendReportQueryDto): Promise<SpendReportRowDto[]> {
    return this.reports.report(q) as Promise<unknown> as Promise<SpendReportRowDto[]>;
  }
}
