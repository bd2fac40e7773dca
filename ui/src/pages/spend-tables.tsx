import type { ErrorGroup, SpendLog } from '../api';
import { Badge, Empty, Loading } from '../components';
import { count, usd, when } from '../format';

export interface TopRow {
  id: string;
  name: string;
  pickable: boolean;
  spend: number;
  requests: number;
  failed_requests: number;
  total_tokens: number;
}

/** A ranked list (keys, teams, models); a click filters the whole page by the row. */
export function TopTable({
  rows,
  name,
  label,
  loading,
  onPick,
}: {
  rows: TopRow[];
  name: string;
  label: string;
  loading: boolean;
  onPick: (id: string) => void;
}) {
  if (loading) return <Loading />;
  if (rows.length === 0) return <Empty>Nothing in this range.</Empty>;
  const max = Math.max(...rows.map((r) => Number(r.spend)), 0) || 1;
  return (
    <div class="table-wrap">
      <table class="table table-compact" aria-label={label}>
        <thead>
          <tr>
            <th>{name}</th>
            <th class="num">Spend</th>
            <th class="num">Requests</th>
            <th class="num hide-sm">Errors</th>
            <th class="num hide-sm">Tokens</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <td>
                {r.pickable ? (
                  <button type="button" class="link" title="Filter the page by this" onClick={() => onPick(r.id)}>
                    {r.name}
                  </button>
                ) : (
                  <span class="strong">{r.name}</span>
                )}
                <div class="meter meter-thin">
                  <div class="meter-fill" style={{ width: `${(Number(r.spend) / max) * 100}%` }} />
                </div>
              </td>
              <td class="num">{usd(r.spend)}</td>
              <td class="num">{count(r.requests)}</td>
              <td class="num hide-sm">{count(r.failed_requests)}</td>
              <td class="num hide-sm">{count(r.total_tokens)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ErrorsTable({ rows }: { rows: ErrorGroup[] }) {
  if (rows.length === 0) return <Empty>No failed requests in this range.</Empty>;
  return (
    <div class="table-wrap">
      <table class="table table-compact" aria-label="Errors">
        <thead>
          <tr>
            <th>Status</th>
            <th>Error type</th>
            <th>Model</th>
            <th class="num">Count</th>
            <th class="hide-sm">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={`${e.status_code}-${e.error_type}-${e.model}`}>
              <td>
                <Badge tone="danger">{e.status_code ?? '—'}</Badge>
              </td>
              <td class="mono small">{e.error_type ?? '—'}</td>
              <td class="nowrap">{e.model ?? '—'}</td>
              <td class="num">{count(e.count)}</td>
              <td class="nowrap hide-sm">{when(e.last_seen)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A log row's outcome: "ok", or the status code the client got and the error type. */
export function StatusBadge({ row }: { row: SpendLog }) {
  if (row.status !== 'failure') return <Badge tone="ok">ok</Badge>;
  const code = row.metadata?.status_code;
  const type = row.metadata?.error_type;
  return <Badge tone="danger">{[code, type].filter((v) => v !== undefined && v !== null).join(' · ') || 'failed'}</Badge>;
}

/** The request log; `keyName` names each row's key (omitted: one key's page, no Key column). */
export function RequestsTable({ rows, keyName }: { rows: SpendLog[]; keyName?: (hash: string) => string }) {
  return (
    <div class="table-wrap">
      <table class="table" aria-label="Spend logs">
        <thead>
          <tr>
            <th>Time</th>
            {keyName && <th>Key</th>}
            <th>Model</th>
            <th class="num">Tokens in / out</th>
            <th class="num">Spend</th>
            <th class="num">Duration</th>
            <th class="num">TTFT</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const ttft = r.completionStartTime ? Date.parse(r.completionStartTime) - Date.parse(r.startTime) : null;
            return (
              <tr key={r.request_id} title={r.request_id}>
                <td class="nowrap">{when(r.startTime)}</td>
                {keyName && <td class="nowrap">{keyName(r.api_key)}</td>}
                <td class="nowrap">{r.model_group || r.model}</td>
                <td class="num nowrap">
                  {count(r.prompt_tokens)} / {count(r.completion_tokens)}
                </td>
                <td class="num">{usd(r.spend)}</td>
                <td class="num nowrap">{r.request_duration_ms !== null ? `${count(r.request_duration_ms)} ms` : '—'}</td>
                <td class="num nowrap">{ttft !== null ? `${count(ttft)} ms` : '—'}</td>
                <td class="nowrap">
                  <StatusBadge row={r} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
