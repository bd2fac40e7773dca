import { useEffect, useState } from 'preact/hooks';
import { type DaySpend, get, type KeySpend, type ModelSpend, type SpendLog } from '../api';
import { type Bar, BarChart } from '../chart';
import { Badge, Card, Empty, ErrorBanner, Loading, Pager, useApi } from '../components';
import { count, daysAgo, isoDay, usd, when } from '../format';
import { setQuery, useLocation } from '../router';

const LOG_PAGE = 25;
const TOP = 8;
const PRESETS = [7, 30, 90];
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const shortDay = new Intl.DateTimeFormat('en-GB', { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Requests made with the master key are booked with an empty key hash, as LiteLLM does. */
const MASTER = '';

function keyLabel(hash: string, keys: Map<string, KeySpend>): string {
  if (hash === MASTER) return 'Master key';
  const k = keys.get(hash);
  if (k?.key_alias || k?.key_name) return (k.key_alias || k.key_name)!;
  // In the report but no longer in the key table: deleted since.
  return k ? `Deleted key ${hash.slice(0, 8)}` : `${hash.slice(0, 8)}…`;
}

const MAX_DAY_BARS = 92;
const shortMonth = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** One bar per UTC day of the range (per month past three months), empty ones included. */
function spendBars(rows: DaySpend[], from: string, to: string): { bars: Bar[]; monthly: boolean } {
  const days: string[] = [];
  for (let d = new Date(`${from}T00:00:00Z`); isoDay(d) <= to; d.setUTCDate(d.getUTCDate() + 1)) days.push(isoDay(d));
  const monthly = days.length > MAX_DAY_BARS;
  const bucketOf = (day: string) => (monthly ? day.slice(0, 7) : day);
  const buckets = new Map<string, { spend: number; requests: number; tokens: number }>();
  for (const day of days) if (!buckets.has(bucketOf(day))) buckets.set(bucketOf(day), { spend: 0, requests: 0, tokens: 0 });
  for (const r of rows) {
    const b = buckets.get(bucketOf(r.group_by_day));
    if (!b) continue;
    b.spend += Number(r.total_spend);
    b.requests += Number(r.requests);
    b.tokens += Number(r.total_tokens);
  }
  const bars = [...buckets].map(([key, b]) => {
    const label = monthly ? shortMonth.format(new Date(`${key}-01T00:00:00Z`)) : shortDay.format(new Date(`${key}T00:00:00Z`));
    return {
      key,
      label,
      value: b.spend,
      detail: `${label}: ${usd(b.spend)} · ${count(b.requests)} requests · ${count(b.tokens)} tokens`,
    };
  });
  return { bars, monthly };
}

export function SpendPage() {
  const { query } = useLocation();
  const to = DATE.test(query.get('to') ?? '') ? query.get('to')! : daysAgo(0);
  const from = DATE.test(query.get('from') ?? '') ? query.get('from')! : daysAgo(29);
  const key = query.get('key') ?? '';
  const model = query.get('model') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const range = { start_date: from, end_date: to };

  const total = useApi(() => get<{ spend: number }>('/global/spend'), []);
  const days = useApi(() => get<DaySpend[]>('/global/spend/report', { ...range, group_by: 'day' }), [from, to]);
  const byKey = useApi(() => get<KeySpend[]>('/global/spend/report', { ...range, group_by: 'api_key' }), [from, to]);
  const byModel = useApi(() => get<ModelSpend[]>('/global/spend/report', { ...range, group_by: 'model' }), [from, to]);
  const logs = useApi(() => get<SpendLog[]>('/spend/logs', { ...range, api_key: key, model, page, page_size: LOG_PAGE }), [from, to, key, model, page]);

  const keys = new Map((byKey.data ?? []).map((k) => [k.api_key, k]));
  const sum = (f: (d: DaySpend) => number) => (days.data ?? []).reduce((n, d) => n + Number(f(d) ?? 0), 0);
  const chart = days.data ? spendBars(days.data, from, to) : undefined;
  const presetDays = to === daysAgo(0) ? PRESETS.find((n) => from === daysAgo(n - 1)) : undefined;

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Spend</h1>
          <p class="muted">What each key and model cost, by UTC day. Figures include requests answered a moment ago.</p>
        </div>
        <RangePicker from={from} to={to} preset={presetDays} />
      </div>

      <div class="stats">
        <Stat label="Spend in range" value={days.data ? usd(sum((d) => d.total_spend)) : '…'} />
        <Stat
          label="Requests"
          value={days.data ? count(sum((d) => d.requests)) : '…'}
          sub={days.data && sum((d) => d.failed_requests) > 0 ? `${count(sum((d) => d.failed_requests))} failed` : undefined}
        />
        <Stat label="Tokens" value={days.data ? count(sum((d) => d.total_tokens)) : '…'} />
        <Stat label="All-time spend" value={total.data ? usd(total.data.spend) : '…'} />
      </div>

      <Card title={chart?.monthly ? 'Spend per month' : 'Spend per day'}>
        <ErrorBanner error={days.error} />
        {chart ? <BarChart bars={chart.bars} label="Spend" /> : !days.error && <Loading />}
      </Card>

      <div class="grid-2">
        <Card title="Top keys">
          <ErrorBanner error={byKey.error} />
          <TopTable
            loading={byKey.loading && !byKey.data}
            label="Top keys"
            name="Key"
            rows={(byKey.data ?? []).slice(0, TOP).map((k) => ({ id: k.api_key, name: keyLabel(k.api_key, keys), pickable: k.api_key !== MASTER, ...k }))}
            onPick={(id) => setQuery({ key: id, page: undefined })}
          />
        </Card>
        <Card title="Top models">
          <ErrorBanner error={byModel.error} />
          <TopTable
            loading={byModel.loading && !byModel.data}
            label="Top models"
            name="Model"
            rows={(byModel.data ?? []).slice(0, TOP).map((m) => ({ id: m.model ?? '', name: m.model || '(none)', pickable: !!m.model, ...m }))}
            onPick={(id) => setQuery({ model: id, page: undefined })}
          />
        </Card>
      </div>

      <Card
        title="Requests"
        actions={
          <div class="toolbar toolbar-tight">
            <select class="input input-sm" aria-label="Filter by key" value={key} onChange={(e) => setQuery({ key: e.currentTarget.value, page: undefined })}>
              <option value="">All keys</option>
              {key && !keys.has(key) && <option value={key}>{keyLabel(key, keys)}</option>}
              {[...keys.values()]
                .filter((k) => k.api_key !== MASTER)
                .map((k) => (
                  <option key={k.api_key} value={k.api_key}>
                    {keyLabel(k.api_key, keys)}
                  </option>
                ))}
            </select>
            <select
              class="input input-sm"
              aria-label="Filter by model"
              value={model}
              onChange={(e) => setQuery({ model: e.currentTarget.value, page: undefined })}
            >
              <option value="">All models</option>
              {model && !(byModel.data ?? []).some((m) => m.model === model) && <option value={model}>{model}</option>}
              {(byModel.data ?? [])
                .filter((m) => m.model)
                .map((m) => (
                  <option key={m.model} value={m.model!}>
                    {m.model}
                  </option>
                ))}
            </select>
            {(key || model) && (
              <button type="button" class="btn btn-ghost btn-sm" onClick={() => setQuery({ key: undefined, model: undefined, page: undefined })}>
                Clear filters
              </button>
            )}
          </div>
        }
      >
        <ErrorBanner error={logs.error} />
        {logs.loading && !logs.data ? (
          <Loading />
        ) : (logs.data ?? []).length === 0 && !logs.error ? (
          <Empty>No requests in this range{key || model ? ' for these filters' : ''}.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table" aria-label="Spend logs">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Key</th>
                  <th>Model</th>
                  <th class="num">Tokens in / out</th>
                  <th class="num">Spend</th>
                  <th class="num">Duration</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {(logs.data ?? []).map((r) => (
                  <tr key={r.request_id} title={r.request_id}>
                    <td class="nowrap">{when(r.startTime)}</td>
                    <td class="nowrap">{keyLabel(r.api_key, keys)}</td>
                    <td class="nowrap">{r.model_group || r.model}</td>
                    <td class="num nowrap">
                      {count(r.prompt_tokens)} / {count(r.completion_tokens)}
                    </td>
                    <td class="num">{usd(r.spend)}</td>
                    <td class="num nowrap">{r.request_duration_ms !== null ? `${count(r.request_duration_ms)} ms` : '—'}</td>
                    <td>{r.status === 'failure' ? <Badge tone="danger">failed</Badge> : <Badge tone="ok">ok</Badge>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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

function Stat({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {sub && <div class="stat-sub">{sub}</div>}
    </div>
  );
}

function RangePicker({ from, to, preset }: { from: string; to: string; preset?: number }) {
  const [custom, setCustom] = useState({ from, to });
  // Follow the URL when it changes underneath (back button, presets).
  useEffect(() => setCustom({ from, to }), [from, to]);
  return (
    <form
      class="range"
      onSubmit={(e) => {
        e.preventDefault();
        if (custom.from && custom.to && custom.from <= custom.to) setQuery({ from: custom.from, to: custom.to, page: undefined });
      }}
    >
      <div class="segmented" role="group" aria-label="Date range">
        {PRESETS.map((n) => (
          <button
            key={n}
            type="button"
            class={preset === n ? 'active' : ''}
            aria-pressed={preset === n}
            onClick={() => {
              setCustom({ from: daysAgo(n - 1), to: daysAgo(0) });
              setQuery({ from: n === 30 ? undefined : daysAgo(n - 1), to: undefined, page: undefined });
            }}
          >
            {n} days
          </button>
        ))}
      </div>
      <div class="range-custom">
        <input
          class="input input-sm"
          type="date"
          aria-label="From"
          value={custom.from}
          max={custom.to}
          onInput={(e) => setCustom({ ...custom, from: e.currentTarget.value })}
        />
        <span class="muted">–</span>
        <input
          class="input input-sm"
          type="date"
          aria-label="To"
          value={custom.to}
          min={custom.from}
          onInput={(e) => setCustom({ ...custom, to: e.currentTarget.value })}
        />
        <button class="btn btn-secondary btn-sm" type="submit">
          Apply
        </button>
      </div>
    </form>
  );
}

interface TopRow {
  id: string;
  name: string;
  pickable: boolean;
  total_spend: number;
  requests: number;
  total_tokens: number;
}

function TopTable({ rows, name, label, loading, onPick }: { rows: TopRow[]; name: string; label: string; loading: boolean; onPick: (id: string) => void }) {
  if (loading) return <Loading />;
  if (rows.length === 0) return <Empty>Nothing spent in this range.</Empty>;
  const max = Math.max(...rows.map((r) => Number(r.total_spend)), 0) || 1;
  return (
    <div class="table-wrap">
      <table class="table table-compact" aria-label={label}>
        <thead>
          <tr>
            <th>{name}</th>
            <th class="num">Spend</th>
            <th class="num">Requests</th>
            <th class="num hide-sm">Tokens</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                {r.pickable ? (
                  <button type="button" class="link" title="Show its requests" onClick={() => onPick(r.id)}>
                    {r.name}
                  </button>
                ) : (
                  <span class="strong">{r.name}</span>
                )}
                <div class="meter meter-thin">
                  <div class="meter-fill" style={{ width: `${(Number(r.total_spend) / max) * 100}%` }} />
                </div>
              </td>
              <td class="num">{usd(r.total_spend)}</td>
              <td class="num">{count(r.requests)}</td>
              <td class="num hide-sm">{count(r.total_tokens)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
