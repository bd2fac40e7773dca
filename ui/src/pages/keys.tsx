import { useState } from 'preact/hooks';
import { type Deployment, get, type Key, type KeyList, type NewKey, post } from '../api';
import { Badge, Card, Confirm, Empty, ErrorBanner, Field, Loading, messageOf, Pager, SecretDialog, toast, useApi } from '../components';
import { day, relative, usd } from '../format';
import { type FormErrors, FormDialog, useForm } from '../form-dialog';
import { setQuery, useLocation } from '../router';

const PAGE_SIZE = 20;

const DURATIONS: Array<[string, string]> = [
  ['', 'Never'],
  ['1h', '1 hour'],
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['365d', '1 year'],
];
const BUDGET_PERIODS: Array<[string, string]> = [
  ['', 'Never (lifetime budget)'],
  ['1d', 'Daily'],
  ['7d', 'Weekly'],
  ['1mo', 'Monthly'],
];

const labelOf = (k: Key) => k.key_alias || k.key_name || `${k.token.slice(0, 10)}…`;
const isExpired = (k: Key) => k.expires !== null && new Date(k.expires).getTime() <= Date.now();

type Modal = { kind: 'create' } | { kind: 'delete' | 'regenerate'; key: Key } | { kind: 'secret'; title: string; secret: string; label: string };

export function KeysPage() {
  const { query } = useLocation();
  const alias = query.get('alias') ?? '';
  const page = Math.max(1, Number(query.get('page')) || 1);
  const list = useApi(() => get<KeyList>('/key/list', { page, size: PAGE_SIZE, key_alias: alias, return_full_object: 'true' }), [page, alias]);
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
            placeholder="Key alias (exact match)"
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
          <Empty>{alias ? `No key has the alias “${alias}”.` : 'No keys yet. Create one to let a client call the proxy.'}</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table table-cards" aria-label="Keys">
              <thead>
                <tr>
                  <th>Alias</th>
                  <th>Key</th>
                  <th>Models</th>
                  <th>Spend / budget</th>
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
        <CreateKeyDialog
          onClose={() => setModal(undefined)}
          onCreated={(k) => {
            list.reload();
            setModal({ kind: 'secret', title: 'Key created', secret: k.key, label: labelOf(k) });
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

function KeyRow({ k, busy, onBlock, onRegenerate, onDelete }: { k: Key; busy: boolean; onBlock: () => void; onRegenerate: () => void; onDelete: () => void }) {
  const expired = isExpired(k);
  const over = k.max_budget !== null && k.spend >= k.max_budget;
  const pct = k.max_budget ? Math.min(100, (k.spend / k.max_budget) * 100) : 0;
  return (
    <tr data-key={k.key_alias ?? k.token}>
      <td class="strong card-title">{k.key_alias ?? <span class="muted">—</span>}</td>
      <td class="mono nowrap" data-label="Key">
        {k.key_name}
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
          {k.budget_duration && <span class="muted small">resets every {k.budget_duration}</span>}
        </div>
      </td>
      <td class="nowrap" data-label="Expires" title={k.expires ?? undefined}>
        {k.expires === null ? <span class="muted">Never</span> : expired ? day(k.expires) : relative(k.expires)}
      </td>
      <td data-label="Status">
        <div class="chips">
          {k.blocked ? <Badge tone="danger">Blocked</Badge> : expired ? <Badge tone="warn">Expired</Badge> : <Badge tone="ok">Active</Badge>}
          {over && <Badge tone="warn">Over budget</Badge>}
        </div>
      </td>
      <td class="col-actions">
        <div class="row-actions">
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

interface KeyForm {
  alias: string;
  models: string[];
  modelsText: string;
  duration: string;
  budget: string;
  budgetPeriod: string;
  rpm: string;
  tpm: string;
}

function validate(f: KeyForm): FormErrors<KeyForm> {
  const errors: FormErrors<KeyForm> = {};
  if (f.alias.length > 255) errors.alias = 'At most 255 characters.';
  if (f.budget !== '' && !(Number(f.budget) >= 0)) errors.budget = 'A number of dollars, 0 or more.';
  for (const field of ['rpm', 'tpm'] as const) {
    if (f[field] !== '' && !(Number.isInteger(Number(f[field])) && Number(f[field]) >= 0)) errors[field] = 'A whole number, 0 or more.';
  }
  return errors;
}

function CreateKeyDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (k: NewKey) => void }) {
  const models = useApi(() => get<{ data: Deployment[] }>('/model/info').then((r) => [...new Set(r.data.map((d) => d.model_name))].sort()), []);
  const { f, set, errors, error, busy, submit } = useForm<KeyForm>(
    { alias: '', models: [], modelsText: '', duration: '', budget: '', budgetPeriod: '', rpm: '', tpm: '' },
    validate,
  );
  const pickList = models.data && models.data.length > 0;

  const create = submit(async (f) => {
    const chosen = pickList
      ? f.models
      : f.modelsText
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean);
    const body: Record<string, unknown> = { models: chosen };
    if (f.alias.trim()) body.key_alias = f.alias.trim();
    if (f.duration) body.duration = f.duration;
    if (f.budget !== '') body.max_budget = Number(f.budget);
    if (f.budgetPeriod) body.budget_duration = f.budgetPeriod;
    if (f.rpm !== '') body.rpm_limit = Number(f.rpm);
    if (f.tpm !== '') body.tpm_limit = Number(f.tpm);
    onCreated(await post<NewKey>('/key/generate', body));
  });

  return (
    <FormDialog id="create-key" title="Create key" submitLabel="Create key" busyLabel="Creating…" busy={busy} error={error} onClose={onClose} onSubmit={create}>
      <Field label="Alias" hint="A unique name, e.g. the team or app using the key." error={errors.alias} wide>
        <input class="input" name="key_alias" maxLength={255} value={f.alias} onInput={(e) => set({ alias: e.currentTarget.value })} />
      </Field>
      <fieldset class="field field-wide">
        <legend class="field-label">Models</legend>
        {models.loading ? (
          <Loading label="Loading models…" />
        ) : pickList ? (
          <div class="checks">
            {models.data!.map((m) => (
              <label key={m} class="check">
                <input
                  type="checkbox"
                  checked={f.models.includes(m)}
                  onChange={(e) => set({ models: e.currentTarget.checked ? [...f.models, m] : f.models.filter((x) => x !== m) })}
                />
                {m}
              </label>
            ))}
          </div>
        ) : (
          <input
            class="input"
            name="models"
            placeholder="gemma-4-31b, llama-3-8b"
            value={f.modelsText}
            onInput={(e) => set({ modelsText: e.currentTarget.value })}
          />
        )}
        <span class="field-hint">{pickList ? 'None ticked: the key may use every model.' : 'Comma-separated aliases; empty: every model.'}</span>
      </fieldset>
      <Field label="Expires after">
        <select class="input" name="duration" value={f.duration} onChange={(e) => set({ duration: e.currentTarget.value })}>
          {DURATIONS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Max budget (USD)" hint="Requests are refused once spend reaches it." error={errors.budget}>
        <input
          class="input"
          name="max_budget"
          type="number"
          min="0"
          step="any"
          inputMode="decimal"
          placeholder="No limit"
          value={f.budget}
          onInput={(e) => set({ budget: e.currentTarget.value })}
        />
      </Field>
      <Field label="Budget resets">
        <select class="input" name="budget_duration" value={f.budgetPeriod} onChange={(e) => set({ budgetPeriod: e.currentTarget.value })}>
          {BUDGET_PERIODS.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Requests per minute" error={errors.rpm}>
        <input
          class="input"
          name="rpm_limit"
          type="number"
          min="0"
          step="1"
          inputMode="numeric"
          placeholder="No limit"
          value={f.rpm}
          onInput={(e) => set({ rpm: e.currentTarget.value })}
        />
      </Field>
      <Field label="Tokens per minute" error={errors.tpm}>
        <input
          class="input"
          name="tpm_limit"
          type="number"
          min="0"
          step="1"
          inputMode="numeric"
          placeholder="No limit"
          value={f.tpm}
          onInput={(e) => set({ tpm: e.currentTarget.value })}
        />
      </Field>
    </FormDialog>
  );
}
