import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { ApiError } from '../common/api-error.js';
import { hashKey } from '../common/secrets.js';
import { SpendWriter } from './spend-writer.service.js';
import type { ErrorGroupDto, LatencyResponseDto, PercentilesDto, UsageQueryDto, UsageResponseDto, UsageTotalsDto } from './usage.dto.js';
import { SpendLogEntity } from './spend-log.entity.js';
import {
  byKeySql,
  byModelSql,
  byTeamSql,
  errorsSql,
  LATENCY_SAMPLE,
  latencySql,
  seriesSql,
  SPLIT_TOP,
  type Statement,
  totalsSql,
  type UsageFilter,
} from './usage-sql.js';

const HASH = /^[0-9a-f]{64}$/;
const BARE_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;
/** Hourly series over more than this many days would be thousands of points: refused with what to do. */
const MAX_HOURLY_DAYS = 31;

type Row = Record<string, unknown>;

/** Sums come back as bigint strings: numbers for JSON. */
function totalsOf(r: Row | undefined): UsageTotalsDto {
  return {
    spend: Number(r?.spend ?? 0),
    requests: Number(r?.requests ?? 0),
    failed_requests: Number(r?.failed_requests ?? 0),
    prompt_tokens: Number(r?.prompt_tokens ?? 0),
    completion_tokens: Number(r?.completion_tokens ?? 0),
    total_tokens: Number(r?.total_tokens ?? 0),
  };
}

function percentiles(v: unknown): PercentilesDto {
  const a = Array.isArray(v) ? v.map((x) => (x === null ? null : Math.round(Number(x)))) : [];
  return { p50: a[0] ?? null, p90: a[1] ?? null, p99: a[2] ?? null };
}

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

/** The usage page's reads: one filter (dates, key, team, model) for every figure on the page. */
@Injectable()
export class UsageService {
  constructor(
    /** Raw reads of the spend tables (the logs and the daily rollup), served by their indexes. */
    @InjectRepository(SpendLogEntity) private readonly logs: Repository<SpendLogEntity>,
    private readonly writer: SpendWriter,
  ) {}

  filterOf(q: UsageQueryDto): UsageFilter {
    const end = q.end_date ? new Date(q.end_date) : new Date();
    if (q.end_date && BARE_DATE.test(q.end_date)) end.setUTCDate(end.getUTCDate() + 1);
    const start = q.start_date ? new Date(q.start_date) : new Date(end.getTime() - 30 * DAY_MS);
    if (start >= end) throw ApiError.badRequest('start_date must be before end_date', 'start_date');
    const key = q.api_key || undefined;
    return { start, end, apiKey: key && (HASH.test(key) ? key : hashKey(key)), teamId: q.team_id || undefined, model: q.model || undefined };
  }

  private run(s: Statement): Promise<Row[]> {
    return this.logs.query(s.sql, s.params);
  }

  async usage(q: UsageQueryDto): Promise<UsageResponseDto> {
    const f = this.filterOf(q);
    const granularity = q.granularity ?? 'day';
    if (granularity === 'hour' && f.end.getTime() - f.start.getTime() > MAX_HOURLY_DAYS * DAY_MS) {
      throw ApiError.badRequest(`Hourly series cover at most ${MAX_HOURLY_DAYS} days; narrow the range or use granularity=day.`, 'granularity');
    }
    // Booked a moment ago but not yet written: write it first, so the page never lags a request.
    await this.writer.flush();
    const [[totals], byKey, byTeam, byModel] = await Promise.all([
      this.run(totalsSql(f)),
      this.run(byKeySql(f)),
      this.run(byTeamSql(f)),
      this.run(byModelSql(f)),
    ]);
    const tops: Record<string, Array<string | null>> = {
      api_key: byKey.map((r) => r.api_key as string),
      team_id: byTeam.map((r) => r.team_id as string | null),
      model: byModel.map((r) => r.model as string | null),
    };
    const series = await this.run(seriesSql(f, granularity, q.split_by, q.split_by ? tops[q.split_by].slice(0, SPLIT_TOP) : []));
    return {
      granularity,
      start: f.start.toISOString(),
      end: f.end.toISOString(),
      totals: totalsOf(totals),
      series: series.map((r) => ({ bucket: iso(r.bucket), group: (r.group as string | null) ?? null, ...totalsOf(r) })),
      by_key: byKey.map((r) => ({
        api_key: r.api_key as string,
        key_alias: (r.key_alias as string | null) ?? null,
        key_name: (r.key_name as string | null) ?? null,
        deleted: r.deleted === true,
        ...totalsOf(r),
      })),
      by_team: byTeam.map((r) => ({ team_id: (r.team_id as string | null) ?? null, team_alias: (r.team_alias as string | null) ?? null, ...totalsOf(r) })),
      by_model: byModel.map((r) => ({ model: (r.model as string | null) ?? null, ...totalsOf(r) })),
    };
  }

  async latency(q: UsageQueryDto): Promise<LatencyResponseDto> {
    const f = this.filterOf(q);
    await this.writer.flush();
    const rows = await this.run(latencySql(f, q.granularity ?? 'day'));
    const overall = rows.find((r) => r.overall === true);
    return {
      sampled: Number(overall?.requests ?? 0),
      sample_limit: LATENCY_SAMPLE,
      latency_ms: percentiles(overall?.latency),
      ttft_ms: percentiles(overall?.ttft),
      series: rows
        .filter((r) => r.overall !== true)
        .map((r) => ({ bucket: iso(r.bucket), requests: Number(r.requests), latency_ms: percentiles(r.latency), ttft_ms: percentiles(r.ttft) })),
    };
  }

  async errors(q: UsageQueryDto): Promise<ErrorGroupDto[]> {
    const f = this.filterOf(q);
    await this.writer.flush();
    const rows = await this.run(errorsSql(f));
    return rows.map((r) => ({
      status_code: r.status_code === null ? null : Number(r.status_code),
      error_type: (r.error_type as string | null) ?? null,
      model: (r.model as string | null) ?? null,
      count: Number(r.count),
      last_seen: iso(r.last_seen),
    }));
  }
}
