import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { get, type Key, post, type SpendLog, type Usage } from '../api';
import { TimeChart } from '../chart';
import { Card, Empty, ErrorBanner, Loading, messageOf, Stat, toast, useApi } from '../components';
import { count, day, daysAgo, relative, usd, when } from '../format';
import { Link } from '../router';
import { seriesOf } from '../usage';
import { KeyFormDialog } from './key-form';
import { KeyStatus, labelOf, limitsOf } from './key-status';
import { RequestsTable } from './spend-tables';

const RECENT = 20;

/** One key, deep-linkable at /ui/key-management/<hash>: its settings (editable), its spend over 30 days and its latest requests. */
export function KeyDetailPage({ token }: { token: string }) {
  const info = useApi(() => get<{ info: Omit<Key, 'token'> }>('/key/info', { key: token }).then((r): Key => ({ token, ...r.info })), [token]);
  const usage = useApi(() => get<Usage>('/spend/usage', { api_key: token, start_date: daysAgo(29), end_date: daysAgo(0) }), [token]);
  const logs = useApi(() => get<SpendLog[]>('/spend/logs', { api_key: token, page: 1, page_size: RECENT }), [token]);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const chart = useMemo(() => usage.data && seriesOf(usage.data, 'spend', () => 'Spend'), [usage.data]);
  const k = info.data;

  const toggleBlock = async () => {
    if (!k) return;
    setBusy(true);
    try {
      await post(k.blocked ? '/key/unblock' : '/key/block', { key: k.token });
      toast(`${k.blocked ? 'Unblocked' : 'Blocked'} ${labelOf(k)}`);
      info.reload();
    } catch (err) {
      toast(messageOf(err), 'error');
    } finally {
      setBusy(false);
    }
  };

  if (!k) {
    return (
      <>
        <Link href="/ui/key-management">← Keys</Link>
        {info.error ? <ErrorBanner error={info.error} /> : <Loading />}
      </>
    );
  }
  const t = usage.data?.totals;
  return (
    <>
      <div class="page-head">
        <div>
          <Link href="/ui/key-management" class="muted small">
            ← Keys
          </Link>
          <h1>
            {labelOf(k)} <KeyStatus k={k} />
          </h1>
          <p class="muted mono small">{k.key_name}</p>
        </div>
        <div class="row-actions">
          <button type="button" class="btn btn-secondary" disabled={busy} onClick={toggleBlock}>
            {k.blocked ? 'Unblock' : 'Block'}
          </button>
          <button type="button" class="btn btn-primary" onClick={() => setEditing(true)}>
            Edit settings
          </button>
        </div>
      </div>

      <Card title="Settings">
        <dl class="facts" aria-label="Key settings">
          <Fact label="Models">{k.models.length ? k.models.join(', ') : 'All models'}</Fact>
          <Fact label="Spend / budget">
            {usd(k.spend)} {k.max_budget !== null ? `of ${usd(k.max_budget)}` : '· no budget'}
          </Fact>
          <Fact label="Budget resets">
            {k.budget_duration ? `every ${k.budget_duration}${k.budget_reset_at ? `, next ${when(k.budget_reset_at)}` : ''}` : 'never'}
          </Fact>
          <Fact label="Limits">{limitsOf(k) ?? 'none'}</Fact>
          <Fact label="Expires">{k.expires ? `${when(k.expires)} (${relative(k.expires)})` : 'never'}</Fact>
          <Fact label="Created">{day(k.created_at)}</Fact>
          <Fact label="Last used">{k.last_active ? `${when(k.last_active)} (${relative(k.last_active)})` : 'never'}</Fact>
          <Fact label="Team / user">{[k.team_id, k.user_id].filter(Boolean).join(' / ') || '—'}</Fact>
          <Fact label="Metadata" wide>
            {Object.keys(k.metadata ?? {}).length ? <pre class="mono small json">{JSON.stringify(k.metadata, null, 2)}</pre> : '—'}
          </Fact>
        </dl>
      </Card>

      <div class="stats">
        <Stat label="Spend, 30 days" value={t ? usd(t.spend) : '…'} />
        <Stat
          label="Requests, 30 days"
          bad
          value={t ? count(t.requests) : '…'}
          sub={t && t.failed_requests ? `${count(t.failed_requests)} failed` : undefined}
        />
        <Stat label="Tokens, 30 days" value={t ? count(t.total_tokens) : '…'} />
      </div>
      <Card title="Spend per day (30 days)">
        <ErrorBanner error={usage.error} />
        {chart ? <TimeChart label="Spend per day" {...chart} format={usd} bars /> : !usage.error && <Loading />}
      </Card>
      <Card title="Recent requests">
        <ErrorBanner error={logs.error} />
        {logs.data && logs.data.length === 0 ? <Empty>No requests yet.</Empty> : logs.data ? <RequestsTable rows={logs.data} /> : <Loading />}
      </Card>

      {editing && (
        <KeyFormDialog
          target={k}
          onClose={() => setEditing(false)}
          onSaved={() => {
            toast(`Saved ${labelOf(k)}`);
            setEditing(false);
            info.reload();
          }}
        />
      )}
    </>
  );
}

function Fact({ label, children, wide }: { label: string; children: ComponentChildren; wide?: boolean }) {
  return (
    <div class={`fact ${wide ? 'fact-wide' : ''}`}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
