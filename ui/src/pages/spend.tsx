import { useEffect, useMemo, useState } from 'preact/hooks';
import { type ErrorGroup, get, type Latency, type SpendLog, type Usage } from '../api';
import { TimeChart } from '../chart';
import { download } from '../download';
import { Card, Empty, ErrorBanner, Loading, Pager, Stat, useApi } from '../components';
import { count, usd } from '../format';
import { setQuery, useLocation } from '../router';
import { keyLabel, type Metric, percentileSeries, seriesOf, usageCsv } from '../usage';
import { FilterBar, filtersOf } from './spend-filters';
import { ErrorsTable, RequestsTable, TopTable } from './spend-tables';

const LOG_PAGE = 25;
const TOP = 8;
const REFRESH_MS = 15_000;
const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${count(v)} ms`);
const msAxis = (v: number) => `${count(v)} ms`;
const countAxis = (v: number) => count(v);

export function SpendPage() {
  const { query } = useLocation();
  const f = filtersOf(query);
  const page = Math.max(1, Number(query.get('page')) || 1);
  const [refresh, setRefresh] = useState(false);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!refresh) return;
    const timer = setInterval(() => setTick((t) => t + 1), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const range = { start_date: f.from, end_date: f.to };
  const filter = { ...range, api_key: f.key, team_id: f.team, model: f.model, granularity: f.granularity };
  const deps = [f.from, f.to, f.key, f.team, f.model, f.granularity, tick];
  const usage = useApi(() => get<Usage>('/spend/usage', { ...filter, split_by: f.split }), [...deps, f.split]);
  // The filter lists: every key, team and model of the range, whatever is picked.
  const options = useApi(() => get<Usage>('/spend/usage', range), [f.from, f.to, tick]);
  const latency = useApi(() => get<Latency>('/spend/usage/latency', filter), deps);
  const errors = useApi(() => get<ErrorGroup[]>('/spend/usage/errors', filter), deps);
  const logs = useApi(
    () => get<SpendLog[]>('/spend/logs', { ...range, api_key: f.key, team_id: f.team, model: f.model, page, page_size: LOG_PAGE }),
    [...deps, page],
  );

  const keys = new Map([...(options.data?.by_key ?? []), ...(usage.data?.by_key ?? [])].map((k) => [k.api_key, k]));
  const teams = new Map((options.data?.by_team ?? []).map((t) => [t.team_id, t.team_alias]));
  const nameOf = (g: string | null) =>
    f.split === 'api_key' ? keyLabel(g ?? '', keys.get(g ?? '')) : f.split === 'team_id' ? (g ? teams.get(g) || g : 'No team') : g || '(none)';
  const charts = useMemo(() => {
    if (!usage.data) return undefined;
    const of = (m: Metric, single: string) => seriesOf(usage.data!, m, (g) => (f.split ? nameOf(g) : single));
    return { spend: of('spend', 'Spend'), requests: of('requests', 'Requests'), errors: of('failed_requests', 'Errors'), tokens: of('total_tokens', 'Tokens') };
  }, [usage.data]);
  const pcts = useMemo(
    () =>
      latency.data && usage.data
        ? { lat: percentileSeries(latency.data, usage.data, 'latency_ms'), ttft: percentileSeries(latency.data, usage.data, 'ttft_ms') }
        : undefined,
    [latency.data, usage.data],
  );
  const t = usage.data?.totals;
  const per = f.granularity === 'hour' ? 'hour' : 'day';
  const hourly = f.granularity === 'hour';

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Spend</h1>
          <p class="muted">Cost, traffic, latency and errors by UTC {per}. Every figure follows the filters; requests answered a moment ago are included.</p>
        </div>
        <div class="toolbar toolbar-tight">
          <label class="check check-inline">
            <input type="checkbox" checked={refresh} onChange={(e) => setRefresh(e.currentTarget.checked)} />
            Auto-refresh (15 s)
          </label>
          <button
            type="button"
            class="btn btn-secondary btn-sm"
            disabled={!usage.data}
            onClick={() => usage.data && download(`usage-${f.from}-${f.to}-${f.granularity}.csv`, usageCsv(usage.data, nameOf))}
          >
            Export CSV
          </button>
        </div>
      </div>

      <Card>
        <FilterBar f={f} options={options.data} />
      </Card>

      <div class="stats" aria-label="Totals">
        <Stat label="Spend" value={t ? usd(t.spend) : '…'} />
        <Stat
          label="Requests"
          value={t ? count(t.requests) : '…'}
          sub={t && t.failed_requests > 0 ? `${count(t.failed_requests)} failed (${((t.failed_requests / t.requests) * 100).toFixed(1)}%)` : undefined}
        />
        <Stat label="Tokens" value={t ? count(t.total_tokens) : '…'} sub={t ? `${count(t.prompt_tokens)} in · ${count(t.completion_tokens)} out` : undefined} />
        <Stat
          label="Latency p50 / p99"
          value={latency.data ? `${ms(latency.data.latency_ms.p50)} / ${ms(latency.data.latency_ms.p99)}` : '…'}
          sub={latency.data ? `TTFT p50 ${ms(latency.data.ttft_ms.p50)}` : undefined}
        />
      </div>

      <ErrorBanner error={usage.error} />
      <Card title={`Spend per ${per}`}>
        {charts ? <TimeChart label={`Spend per ${per}`} {...charts.spend} format={usd} bars={!f.split} hourly={hourly} /> : <Loading />}
      </Card>
      <div class="grid-2">
        <Card title={`Requests per ${per}`}>
          {charts ? <TimeChart label="Requests" {...charts.requests} format={countAxis} hourly={hourly} integer /> : <Loading />}
        </Card>
        <Card title={`Errors per ${per}`}>
          {charts ? <TimeChart label="Errors" {...charts.errors} format={countAxis} hourly={hourly} integer /> : <Loading />}
        </Card>
        <Card title={`Tokens per ${per}`}>
          {charts ? <TimeChart label="Tokens" {...charts.tokens} format={countAxis} hourly={hourly} integer /> : <Loading />}
        </Card>
        <Card title="Latency (p50 / p90 / p99)">
          <ErrorBanner error={latency.error} />
          {pcts ? <TimeChart label="Latency percentiles" {...pcts.lat} format={msAxis} hourly={hourly} lines /> : !latency.error && <Loading />}
          {latency.data && latency.data.sampled >= latency.data.sample_limit && (
            <p class="muted small">From the newest {count(latency.data.sample_limit)} successful requests of the range.</p>
          )}
        </Card>
        <Card title="Time to first token (streams, p50 / p90 / p99)">
          {pcts ? <TimeChart label="Time to first token percentiles" {...pcts.ttft} format={msAxis} hourly={hourly} lines /> : !latency.error && <Loading />}
        </Card>
        <Card title="Errors by status">
          <ErrorBanner error={errors.error} />
          {errors.data ? <ErrorsTable rows={errors.data} /> : !errors.error && <Loading />}
        </Card>
      </div>

      <div class="grid-2">
        <Card title="Top keys">
          <TopTable
            loading={!usage.data}
            label="Top keys"
            name="Key"
            rows={(usage.data?.by_key ?? []).slice(0, TOP).map((k) => ({ id: k.api_key, name: keyLabel(k.api_key, k), pickable: k.api_key !== '', ...k }))}
            onPick={(id) => setQuery({ key: id, page: undefined })}
          />
        </Card>
        <Card title="Top models">
          <TopTable
            loading={!usage.data}
            label="Top models"
            name="Model"
            rows={(usage.data?.by_model ?? []).slice(0, TOP).map((m) => ({ id: m.model ?? '', name: m.model || '(none)', pickable: !!m.model, ...m }))}
            onPick={(id) => setQuery({ model: id, page: undefined })}
          />
        </Card>
        <Card title="Top teams">
          <TopTable
            loading={!usage.data}
            label="Top teams"
            name="Team"
            rows={(usage.data?.by_team ?? [])
              .slice(0, TOP)
              .map((m) => ({ id: m.team_id ?? '', name: m.team_alias || m.team_id || 'No team', pickable: !!m.team_id, ...m }))}
            onPick={(id) => setQuery({ team: id, page: undefined })}
          />
        </Card>
      </div>

      <Card title="Requests">
        <ErrorBanner error={logs.error} />
        {logs.loading && !logs.data ? (
          <Loading />
        ) : (logs.data ?? []).length === 0 && !logs.error ? (
          <Empty>No requests in this range{f.key || f.team || f.model ? ' for these filters' : ''}.</Empty>
        ) : (
          <RequestsTable rows={logs.data ?? []} keyName={(h) => keyLabel(h, keys.get(h))} />
        )}
        {(page > 1 || (logs.data ?? []).length > 0) && (
          <Pager
            page={page}
            pages={(logs.data ?? []).length === LOG_PAGE ? page + 1 : page}
            summary={`Page ${page}`}
            onPage={(p) => setQuery({ page: p > 1 ? p : undefined })}
          />
        )}
      </Card>
    </>
  );
}
