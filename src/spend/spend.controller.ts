import { Controller, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SpendLogsQueryDto, SpendReportQueryDto } from './spend-report.dto.js';
import { SpendReportService } from './spend-report.service.js';
import { GlobalSpendDto, SpendLogRowDto, SpendReportRowDto } from './spend-response.dto.js';
import { AdminGet, BadRequest } from '../common/admin-route.decorator.js';

const BAD = BadRequest('A query parameter of the wrong type (the message names it)');

@ApiTags('spend')
@Controller()
export class SpendController {
  constructor(private readonly reports: SpendReportService) {}

  @AdminGet(
    'spend/logs',
    'Spend log rows, newest first: every row for the filter (key, user, request id, model, dates), or one page with page/page_size',
    [SpendLogRowDto],
    BAD,
  )
  logs(@Query() q: SpendLogsQueryDto): Promise<SpendLogRowDto[]> {
    return this.reports.logs(q);
  }

  @AdminGet('global/spend', 'Total spend booked', GlobalSpendDto)
  global(): Promise<GlobalSpendDto> {
    return this.reports.global();
  }

  @AdminGet('global/spend/report', 'Spend and tokens grouped by day (default), api_key or model', [SpendReportRowDto], BAD)
  report(@Query() q: SpendReportQueryDto): Promise<SpendReportRowDto[]> {
    return this.reports.report(q) as Promise<unknown> as Promise<SpendReportRowDto[]>;
  }
}
