import { useEffect, useState } from 'preact/hooks';
import { get } from '../api';
import { Badge, Card, Empty, ErrorBanner, Loading, Pager, useApi } from '../components';
import { count, when } from '../format';
import { setQuery, useLocation } from '../router';

type Json = Record<string, unknown>;

/** One row of GET /audit (LiteLLM_AuditLog). */
export interface AuditEntry {
  id: string;
  updated_at: string;
  changed_by: string;
  changed_by_api_key: string;
  action: string;
  table_name: string;
  object_id: string;
  before_value: Json | null;
  updated_values: Json | null;
}

interface AuditPage {
  audit_logs: AuditEntry[];
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
}

const PAGE_SIZE = 25;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TABLES: Array<[string, string]> = [
  ['LiteLLM_VerificationToken', 'Keys'],
  ['LiteLLM_ProxyModelTable', 'Models'],
  ['LiteLLM_TeamTable', 'Teams'],
  ['LiteLLM_UserTable', 'Users'],
  ['config_file', 'Config file'],
];
const ACTIONS = ['created', 'updated', 'deleted', 'rotated', 'blocked', 'unblocked', 'reloaded'];
const TONE: Record<string, 'ok' | 'warn' | 'danger' | 'info' | 'neutral'> = {
  created: 'ok',
  deleted: 'danger',
  blocked: 'warn',
  unblocked: 'info',
  rotated: 'info',
  reloaded: 'info',
};
/** Bookkeeping columns every change moves; not worth a line. */
const NOISE = new Set(['updated_at', 'updated_by', 'spend']);
/** Already shown in the Object column, or bookkeeping: left out of a created or deleted object's summary. */
const SUMMARY_NOISE = new Set(['token', 'key_alias', 'model_name', 'created_at', 'created_by', 'id']);

const tableLabel = (t: string) => TABLES.find(([name]) => name === t)?.[1] ?? t;
const shown = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v));

/** Unset or default: not worth a line when an object is created or deleted. */
const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === '' || v === false || v === 0 || (typeof v === 'object' && Object.keys(v as object).length === 0);

/** What an entry changed, field by field; a created or deleted object lists the settings it has. */
export function changes(e: Pick<AuditEntry, 'before_value' | 'updated_values'>): Array<{ field: string; before?: unknown; after?: unknown }> {
  const before = e.before_value ?? {};
  const after = e.updated_values ?? {};
  const both = e.before_value !== null && e.updated_values !== null;
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => !NOISE.has(f));
  return fields
    .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .filter((f) => both || (!SUMMARY_NOISE.has(f) && !isEmpty(e.updated_values ? after[f] : before[f])))
    .map((f) => ({ field: f, before: e.before_value ? before[f] : undefined, after: e.updated_values ? after[f] : undefined }));
}

/** The object's name: a key's alias or masked name, a model's name, else its id (shortened when a hash). */
function objectName(e: AuditEntry): string {
  const v = e.updated_values ?? e.before_value ?? {};
  const name = v.key_alias ?? v.key_name ?? v.model_name ?? v.team_alias ?? v.user_email;
  if (typeof name === 'string' && name) return name;
  return /^[0-9a-f]{64}$/.test(e.object_id) ? `${e.object_id.slice(0, 8)}…` : e.object_id;
}

export function AuditPage() {
  const { query } = useLocation();
  const filters = {
    table_name: query.get('table') ?? '',
    action: query.get('action') ?? '',
    changed_by: query.get('by') ?? '',
    object_id: query.get('object') ?? '',
    start_date: DATE.test(query.get('from') ?? '') ? query.get('from')! : '',
    end_date: DATE.test(query.get('to') ?? '') ? query.get('to')! : '',
  };
  const page = Math.max(1, Number(query.get('page')) || 1);
  const list = useApi(() => get<AuditPage>('/audit', { ...filters, page, page_size: PAGE_SIZE }), [...Object.values(filters), page]);
  const filtered = Object.values(filters).some(Boolean);

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Audit log</h1>
          <p class="muted">Every admin change: who made it, when, and what it changed. Secrets are masked.</p>
        </div>
      </div>
      <Card title="Changes" actions={<AuditFilters {...filters} />}>
        <ErrorBanner error={list.error} />
        {list.loading && !list.data ? (
          <Loading />
        ) : (list.data?.audit_logs ?? []).length === 0 && !list.error ? (
          <Empty>{filtered ? 'No changes match these filters.' : 'No changes recorded yet.'}</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table audit-table" aria-label="Audit log">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Who</th>
                  <th>Action</th>
                  <th>Object</th>
                  <th>Changes</th>
                </tr>
              </thead>
              <tbody>
                {(list.data?.audit_logs ?? []).map((e) => (
                  <AuditRow key={e.id} entry={e} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data && list.data.total > 0 && (
          <Pager
            page={page}
            pages={list.data.total_pages}
            summary={`${count(list.data.total)} change${list.data.total === 1 ? '' : 's'} · page ${page} of ${list.data.total_pages}`}
            onPage={(p) => setQuery({ page: p > 1 ? p : undefined })}
          />
        )}
      </Card>
    </>
  );
}

function AuditRow({ entry: e }: { entry: AuditEntry }) {
  const diff = changes(e);
  return (
    <tr data-action={e.action}>
      <td class="nowrap audit-when">{when(e.updated_at)}</td>
      <td class="nowrap">
        <span class="strong">{e.changed_by || '—'}</span>
        {e.changed_by_api_key && <div class="muted small">{e.changed_by_api_key}</div>}
      </td>
      <td>
        <Badge tone={TONE[e.action] ?? 'neutral'}>{e.action}</Badge>
      </td>
      <td>
        <button type="button" class="link" title={`Only changes to ${e.object_id}`} onClick={() => setQuery({ object: e.object_id, page: undefined })}>
          {objectName(e)}
        </button>
        <div class="muted small">{tableLabel(e.table_name)}</div>
      </td>
      <td class="audit-changes">
        {diff.length === 0 ? (
          <span class="muted">no field changed</span>
        ) : (
          <ul class="plain-list">
            {diff.slice(0, 4).map((d) => (
              <li key={d.field}>
                <code>{d.field}</code>{' '}
                {e.before_value && e.updated_values ? (
                  <>
                    {shown(d.before)} → {shown(d.after)}
                  </>
                ) : (
                  shown(d.after ?? d.before)
                )}
              </li>
            ))}
            {diff.length > 4 && <li class="muted">and {diff.length - 4} more</li>}
          </ul>
        )}
        <details>
          <summary class="muted small">Before / after</summary>
          <pre class="json">{JSON.stringify({ before: e.before_value, after: e.updated_values }, null, 2)}</pre>
        </details>
      </td>
    </tr>
  );
}

function AuditFilters(f: { table_name: string; action: string; changed_by: string; object_id: string; start_date: string; end_date: string }) {
  const [by, setBy] = useState(f.changed_by);
  useEffect(() => setBy(f.changed_by), [f.changed_by]);
  const any = Object.values(f).some(Boolean);
  return (
    <form
      class="toolbar toolbar-tight"
      onSubmit={(ev) => {
        ev.preventDefault();
        setQuery({ by: by.trim(), page: undefined });
      }}
    >
      <select
        class="input input-sm"
        aria-label="Filter by object type"
        value={f.table_name}
        onChange={(e) => setQuery({ table: e.currentTarget.value, page: undefined })}
      >
        <option value="">Everything</option>
        {TABLES.map(([name, label]) => (
          <option key={name} value={name}>
            {label}
          </option>
        ))}
      </select>
      <select
        class="input input-sm"
        aria-label="Filter by action"
        value={f.action}
        onChange={(e) => setQuery({ action: e.currentTarget.value, page: undefined })}
      >
        <option value="">All actions</option>
        {ACTIONS.map((a) => (
          <option key={a} value={a}>
            {a}
          </option>
        ))}
      </select>
      <input class="input input-sm" aria-label="Changed by" placeholder="Changed by" value={by} onInput={(e) => setBy(e.currentTarget.value)} />
      <input
        class="input input-sm"
        type="date"
        aria-label="From"
        value={f.start_date}
        onChange={(e) => setQuery({ from: e.currentTarget.value, page: undefined })}
      />
      <input class="input input-sm" type="date" aria-label="To" value={f.end_date} onChange={(e) => setQuery({ to: e.currentTarget.value, page: undefined })} />
      {any && (
        <button
          type="button"
          class="btn btn-ghost btn-sm"
          onClick={() => setQuery({ table: undefined, action: undefined, by: undefined, object: undefined, from: undefined, to: undefined, page: undefined })}
        >
          Clear filters
        </button>
      )}
    </form>
  );
}
