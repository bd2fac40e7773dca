import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { hashKey } from '../common/secrets.js';
import type { SpendLogsQueryDto, SpendReportQueryDto } from './spend-report.dto.js';
import { ApiError } from '../common/api-error.js';
import type { GlobalSpendDto, SpendLogRowDto } from './spend-response.dto.js';
import { SpendWriter } from './spend-writer.service.js';
import { SpendLogEntity } from './spend-log.entity.js';

const HASH = /^[0-9a-f]{64}$/;
/** Unpaged /spend/logs answers at most this many rows; more is a 400 asking for pages (never a silent cut). */
export const SPEND_LOGS_MAX_UNPAGED = 100_000;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A bare end date means the whole day: `< next midnight`. */
function range(start?: string, end?: string): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (start) {
    params.push(new Date(start));
    where.push(`"startTime" >= $${params.length}`);
  }
  if (end) {
    const d = new Date(end);
    if (BARE_DATE.test(end)) d.setUTCDate(d.getUTCDate() + 1);
    params.push(d);
    where.push(BARE_DATE.test(end) ? `"startTime" < $${params.length}` : `"startTime" <= $${params.length}`);
  }
  return { where, params };
}

/** Reads for operators: spend logs and aggregates, served by the spend-log indexes. */
@Injectable()
export class SpendReportService {
  constructor(
    /** Raw reads of the spend tables (the logs and the daily rollup), served by their indexes. */
    @InjectRepository(SpendLogEntity) private readonly spendLogs: Repository<SpendLogEntity>,
    private readonly writer: SpendWriter,
  ) {}

  /**
   * Every row for the filter, newest first, as LiteLLM's /spend/logs (which has no paging); `page` /
   * `page_size` page it. Unpaged answers above SPEND_LOGS_MAX_UNPAGED rows are refused with the count.
   */
  async logs(q: SpendLogsQueryDto): Promise<SpendLogRowDto[]> {
    // Booked a moment ago but not yet written: write it first, so a report never lags a request.
    await this.writer.flush();
    const { where, params } = range(q.start_date, q.end_date);
    const filters: Array<[string, string | undefined]> = [
      ['api_key', q.api_key && (HASH.test(q.api_key) ? q.api_key : hashKey(q.api_key))],
      ['request_id', q.request_id],
      ['team_id', q.team_id],
      ['model_group', q.model],
      ['"user"', q.user_id],
    ];
    for (const [column, value] of filters) {
      if (value === undefined || value === '') continue;
      params.push(value);
      where.push(`${column} = $${params.length}`);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const paged = q.page !== undefined || q.page_size !== undefined;
    let limit = '';
    if (paged) {
      const size = q.page_size ?? 100;
      params.push(size, ((q.page ?? 1) - 1) * size);
      limit = `LIMIT $${params.length - 1} OFFSET $${params.length}`;
    } else {
      const [{ n }] = await this.spendLogs.query(`SELECT count(*)::int AS n FROM "LiteLLM_SpendLogs" ${filter}`, params);
      if (n > SPEND_LOGS_MAX_UNPAGED) {
        throw ApiError.badRequest(
          `${n} spend log rows match; an answer without paging holds at most ${SPEND_LOGS_MAX_UNPAGED}. Pass page and page_size (up to 1000), or narrow the filter (start_date, end_date, api_key, model).`,
          'page_size',
        );
      }
    }
    return this.spendLogs.query(
      `SELECT request_id, call_type, api_key, spend, total_tokens, prompt_tokens, completion_tokens, "startTime", "endTime",
              "completionStartTime", request_duration_ms, model, model_id, model_group, api_base, "user", team_id, status, metadata
       FROM "LiteLLM_SpendLogs" ${filter}
       ORDER BY "startTime" DESC, request_id ${limit}`,
      params,
    );
  }

  async global(): Promise<GlobalSpendDto> {
    await this.writer.flush();
    // The daily rollup holds everything ever booked (key spend resets with budget periods).
    const rows: Array<{ spend: number | null }> = await this.spendLogs.query(`SELECT sum(spend)::float8 AS spend FROM "LiteLLM_DailyUserSpend"`);
    return { spend: Number(rows[0]?.spend ?? 0), max_budget: null };
  }

  /** Aggregates come from the daily rollup: a few rows per key, model and day, whatever the log holds. */
  async report(q: SpendReportQueryDto): Promise<Record<string, unknown>[]> {
    await this.writer.flush();
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.start_date) {
      params.push(new Date(q.start_date).toISOString().slice(0, 10));
      where.push(`d.date >= $${params.length}`);
    }
    if (q.end_date) {
      params.push(new Date(q.end_date).toISOString().slice(0, 10));
      where.push(`d.date <= $${params.length}`);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const totals = `sum(d.spend)::float8 AS total_spend, sum(d.prompt_tokens)::bigint AS prompt_tokens, sum(d.completion_tokens)::bigint AS completion_tokens,
      sum(d.prompt_tokens + d.completion_tokens)::bigint AS total_tokens, sum(d.api_requests)::int AS requests, sum(d.failed_requests)::int AS failed_requests`;
    let sql: string;
    switch (q.group_by ?? 'day') {
      case 'api_key':
        sql = `SELECT d.api_key, k.key_alias, k.key_name, ${totals}
               FROM "LiteLLM_DailyUserSpend" d LEFT JOIN "LiteLLM_VerificationToken" k ON k.token = d.api_key ${filter}
               GROUP BY d.api_key, k.key_alias, k.key_name ORDER BY total_spend DESC`;
        break;
      case 'model':
        sql = `SELECT d.model_group AS model, ${totals} FROM "LiteLLM_DailyUserSpend" d ${filter} GROUP BY d.model_group ORDER BY total_spend DESC`;
        break;
      default:
        sql = `SELECT d.date AS group_by_day, ${totals} FROM "LiteLLM_DailyUserSpend" d ${filter} GROUP BY d.date ORDER BY d.date`;
    }
    const rows: Record<string, unknown>[] = await this.spendLogs.query(sql, params);
    return rows.map((r) => ({
      ...r,
      prompt_tokens: Number(r.prompt_tokens),
      completion_tokens: Number(r.completion_tokens),
      total_tokens: Number(r.total_tokens),
    }));
  }
}
