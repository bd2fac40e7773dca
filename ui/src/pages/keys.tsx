import { useState } from 'preact/hooks';
import { get, type Key, type KeyList, type NewKey, post } from '../api';
import { Card, Confirm, Empty, ErrorBanner, Loading, messageOf, Pager, SecretDialog, toast, useApi } from '../components';
import { day, relative, usd } from '../format';
import { Link, setQuery, useLocation } from '../router';
import { KeyFormDialog } from './key-form';
import { isExpired, isOverBudget, KeyStatus, labelOf, limitsOf } from './key-status';

const PAGE_SIZE = 20;

type Modal = { kind: 'create' } | { kind: 'edit' | 'delete' | 'regenerate'; key: Key } | { kind: 'secret'; title: string; secret: string; label: string };

export function KeysPage() {
  const { query } = useLocation();
  const alias = query.get('alias') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const list = useApi(() => get<KeyList>('/key/list', { page, size: PAGE_SIZE, key_alias_search: alias, return_full_object: 'true' }), [page, alias]);
  const [search, setSearch] = useState(alias);
  const [modal, setModal] = useState<Modal>();
  const [busyToken, setBusyToken] = useState<string>();

  const toggleBlock = async (k: Key) => {
    setBusyToken(k.token);
    try {
      await post(k.blocked ? '/key/unblock' : '/key/block', { key: k.token });
      toast(`${k.blocked ? 'Unblocked' : 'Blocked'} ${labelOf(k)}`);
      list.reload();
    } catch (err) {
      toast(messageOf(err), 'error');
    } finally {
      setBusyToken(undefined);
    }
  };

  const keys = list.data?.keys ?? [];
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Keys</h1>
          <p class="muted">Virtual keys clients use to call the proxy. A key's secret is shown only when it is created or regenerated.</p>
        </div>
        <button type="button" class="btn btn-primary" onClick={() => setModal({ kind: 'create' })}>
          + Create key
        </button>
      </div>

      <Card>
        <form
          class="toolbar"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setQuery({ alias: search.trim(), page: undefined });
          }}
        >
          <input
            class="input"
            type="search"
            placeholder="Search aliases"
            aria-label="Search by key alias"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
          <button class="btn btn-secondary" type="submit">
            Search
          </button>
          {alias && (
            <button
              class="btn btn-ghost"
              type="button"
              onClick={() => {
                setSearch('');
                setQuery({ alias: undefined, page: undefined });
              }}
            >
              Clear
            </button>
          )}
        </form>

        <ErrorBanner error={list.error} />
        {list.loading && !list.data ? (
          <Loading />
        ) : keys.length === 0 && !list.error ? (
          <Empty>{alias ? `No key alias contains “${alias}”.` : 'No keys yet. Create one to let a client call the proxy.'}</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table table-cards" aria-label="Keys">
              <thead>
                <tr>
                  <th>Alias · key</th>
                  <th>Models</th>
                  <th>Spend / budget</th>
                  <th>Limits</th>
                  <th>Last used · created</th>
                  <th>Expires</th>
                  <th>Status</th>
                  <th class="col-actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <KeyRow
                    key={k.token}
                    k={k}
                    busy={busyToken === k.token}
                    onBlock={() => toggleBlock(k)}
                    onEdit={() => setModal({ kind: 'edit', key: k })}
                    onRegenerate={() => setModal({ kind: 'regenerate', key: k })}
                    onDelete={() => setModal({ kind: 'delete', key: k })}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data && list.data.total_count > 0 && (
          <Pager
            page={page}
            pages={Math.max(1, list.data.total_pages)}
            summary={`${list.data.total_count} key${list.data.total_count === 1 ? '' : 's'} · page ${page} of ${Math.max(1, list.data.total_pages)}`}
            onPage={(p) => setQuery({ page: p > 1 ? p : undefined })}
          />
        )}
      </Card>

      {modal?.kind === 'create' && (
        <KeyFormDialog
          onClose={() => setModal(undefined)}
          onSaved={(k) => {
            list.reload();
            setModal({ kind: 'secret', title: 'Key created', secret: (k as NewKey).key, label: labelOf(k) });
          }}
        />
      )}
      {modal?.kind === 'edit' && (
        <KeyFormDialog
          target={modal.key}
          onClose={() => setModal(undefined)}
          onSaved={(k) => {
            toast(`Saved ${labelOf(k)}`);
            setModal(undefined);
            list.reload();
          }}
        />
      )}
      {modal?.kind === 'regenerate' && (
        <Confirm
          title="Regenerate key"
          confirmLabel="Regenerate"
          onClose={() => setModal(undefined)}
          onConfirm={async () => {
            const k = await post<NewKey>('/key/regenerate', { key: modal.key.token });
            list.reload();
            setModal({ kind: 'secret', title: 'Key regenerated', secret: k.key, label: labelOf(k) });
          }}
        >
          <p>
            Give <strong>{labelOf(modal.key)}</strong> a new secret? Its settings and budget stay; <strong>the current secret stops working at once</strong>.
          </p>
        </Confirm>
      )}
      {modal?.kind === 'delete' && (
        <Confirm
          title="Delete key"
          confirmLabel="Delete key"
          danger
          onClose={() => setModal(undefined)}
          onConfirm={async () => {
            await post('/key/delete', { keys: [modal.key.token] });
            toast(`Deleted ${labelOf(modal.key)}`);
            setModal(undefined);
            list.reload();
          }}
        >
          <p>
            Delete <strong>{labelOf(modal.key)}</strong> ({modal.key.key_name})? Clients using it are refused at once. This cannot be undone.
          </p>
        </Confirm>
      )}
      {modal?.kind === 'secret' && (
        <SecretDialog
          title={modal.title}
          secret={modal.secret}
          onClose={() => setModal(undefined)}
          note={
            <>
              Clients send it as <code>Authorization: Bearer …</code> (key <strong>{modal.label}</strong>).
            </>
          }
        />
      )}
    </>
  );
}

function KeyRow({
  k,
  busy,
  onBlock,
  onEdit,
  onRegenerate,
  onDelete,
}: {
  k: Key;
  busy: boolean;
  onBlock: () => void;
  onEdit: () => void;
  onRegenerate: () => void;
  onDelete: () => void;
}) {
  const expired = isExpired(k);
  const over = isOverBudget(k);
  const pct = k.max_budget ? Math.min(100, (k.spend / k.max_budget) * 100) : 0;
  const limits = limitsOf(k);
  return (
    <tr data-key={k.key_alias ?? k.token}>
      <td class="card-title">
        <Link href={`/ui/key-management/${k.token}`} class="strong">
          {k.key_alias ?? k.key_name}
        </Link>
        <div class="mono small muted nowrap">{k.key_name}</div>
      </td>
      <td data-label="Models">
        {k.models.length === 0 ? (
          <span class="muted">All models</span>
        ) : (
          <div class="chips">
            {k.models.map((m) => (
              <span key={m} class="chip">
                {m}
              </span>
            ))}
          </div>
        )}
      </td>
      <td class="nowrap" data-label="Spend / budget">
        <div class="spend-cell">
          <span>
            <span class="num">{usd(k.spend)}</span>
            {k.max_budget !== null ? <span class="muted"> / {usd(k.max_budget)}</span> : <span class="muted"> · no budget</span>}
          </span>
          {k.max_budget !== null && (
            <div class="meter" title={`${pct.toFixed(0)}% of the budget`}>
              <div class={`meter-fill ${over ? 'meter-over' : pct > 80 ? 'meter-warn' : ''}`} style={{ width: `${pct}%` }} />
            </div>
          )}
          {k.budget_duration && (
            <span class="muted small" title={k.budget_reset_at ?? undefined}>
              resets every {k.budget_duration}
              {k.budget_reset_at ? `, next ${relative(k.budget_reset_at)}` : ''}
            </span>
          )}
        </div>
      </td>
      <td class="nowrap small" data-label="Limits">
        {limits ?? <span class="muted">none</span>}
      </td>
      <td class="nowrap" data-label="Last used · created">
        <div class="stack">
          <span data-last-used title={k.last_active ?? undefined}>
            {k.last_active ? relative(k.last_active) : <span class="muted">never used</span>}
          </span>
          <span class="muted small" title={k.created_at ?? undefined}>
            created {day(k.created_at)}
          </span>
        </div>
      </td>
      <td class="nowrap" data-label="Expires" title={k.expires ?? undefined}>
        {k.expires === null ? <span class="muted">Never</span> : expired ? day(k.expires) : relative(k.expires)}
      </td>
      <td data-label="Status">
        <KeyStatus k={k} />
      </td>
      <td class="col-actions">
        <div class="row-actions">
          <button type="button" class="btn btn-secondary btn-sm" onClick={onEdit}>
            Edit
          </button>
          <button type="button" class="btn btn-secondary btn-sm" disabled={busy} onClick={onBlock}>
            {k.blocked ? 'Unblock' : 'Block'}
          </button>
          <button type="button" class="btn btn-secondary btn-sm" onClick={onRegenerate}>
            Regenerate
          </button>
          <button type="button" class="btn btn-danger-ghost btn-sm" onClick={onDelete}>
            Delete
          </button>
        </div>
      </td>
    </tr>
  );
}
