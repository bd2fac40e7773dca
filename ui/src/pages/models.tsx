import { useEffect, useState } from 'preact/hooks';
import { type Deployment, type DeploymentHealth, get, post, type UiConfig } from '../api';
import { Badge, Card, Confirm, Empty, ErrorBanner, Loading, toast, useApi } from '../components';
import { count, perMillion, relative } from '../format';
import { ModelFormDialog } from './model-form';

type Modal = { kind: 'add' } | { kind: 'edit' | 'delete'; model: Deployment };
const HEALTH_REFRESH_MS = 10_000;
const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function ModelsPage() {
  const list = useApi(() => get<{ data: Deployment[] }>('/model/info'), []);
  const config = useApi(() => get<UiConfig>('/ui/config'), []);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((t) => t + 1), HEALTH_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const health = useApi(() => get<{ data: DeploymentHealth[] }>('/health/deployments'), [tick]);
  const byId = new Map((health.data?.data ?? []).map((h) => [h.model_id, h]));
  const [modal, setModal] = useState<Modal>();
  const rows = [...(list.data?.data ?? [])].sort(
    (a, b) => a.model_name.localeCompare(b.model_name) || Number(a.model_info.db_model) - Number(b.model_info.db_model),
  );
  const aliases = new Set(rows.map((r) => r.model_name)).size;
  const storeOff = config.data?.store_model_in_db === false;
  const down = (health.data?.data ?? []).filter((h) => h.state !== 'healthy').length;

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Models</h1>
          <p class="muted">
            Every deployment the proxy routes to, with its health. Entries sharing an alias are balanced. Models from the config file change only there; models
            added here live in the database.
          </p>
        </div>
        <div class="head-action">
          <button
            type="button"
            class="btn btn-primary"
            disabled={!config.data || storeOff}
            aria-describedby={storeOff ? 'store-off' : undefined}
            onClick={() => setModal({ kind: 'add' })}
          >
            + Add model
          </button>
          {storeOff && (
            <p id="store-off" class="muted small">
              Adding and editing models needs <code>STORE_MODEL_IN_DB=True</code> (environment or tokens.env, then restart).
            </p>
          )}
        </div>
      </div>

      <Card
        title={list.data ? `${rows.length} deployment${rows.length === 1 ? '' : 's'} · ${aliases} alias${aliases === 1 ? '' : 'es'}` : undefined}
        actions={health.data && (down ? <Badge tone="danger">{down} not healthy</Badge> : <Badge tone="ok">all healthy</Badge>)}
      >
        <ErrorBanner error={list.error && `Could not load models: ${list.error}`} />
        <ErrorBanner error={health.error && `Could not read backend health: ${health.error}`} />
        {list.loading && !list.data ? (
          <Loading />
        ) : rows.length === 0 && !list.error ? (
          <Empty>No models yet: add one here or in the config file.</Empty>
        ) : rows.length > 0 ? (
          <div class="table-wrap">
            <table class="table table-cards" aria-label="Models">
              <thead>
                <tr>
                  <th>Alias</th>
                  <th>Health</th>
                  <th>Upstream model · API base</th>
                  <th>API key</th>
                  <th class="num">Price in / out (1M)</th>
                  <th>Load</th>
                  <th>Source</th>
                  <th class="col-actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((m) => (
                  <tr key={m.model_info.id} data-model={m.model_name} data-model-id={m.model_info.id}>
                    <td class="strong card-title">{m.model_name}</td>
                    <td data-label="Health">
                      <HealthCell h={byId.get(m.model_info.id)} loading={!health.data} />
                    </td>
                    <td data-label="Upstream model · API base">
                      <div class="stack">
                        <span class="mono">{m.litellm_params.model}</span>
                        <span class="mono small muted">{m.litellm_params.api_base ?? '—'}</span>
                      </div>
                    </td>
                    <td class="mono small" data-label="API key">
                      {m.litellm_params.api_key ? String(m.litellm_params.api_key) : <span class="muted">none</span>}
                    </td>
                    <td class="num nowrap" data-label="Price in / out (1M)">
                      {perMillion(m.model_info.input_cost_per_token)} / {perMillion(m.model_info.output_cost_per_token)}
                    </td>
                    <td class="small nowrap" data-label="Load">
                      <LoadCell h={byId.get(m.model_info.id)} />
                    </td>
                    <td data-label="Source">{m.model_info.db_model ? <Badge tone="info">Database</Badge> : <Badge>Config file</Badge>}</td>
                    <td class="col-actions">
                      {m.model_info.db_model ? (
                        <div class="row-actions">
                          <button
                            type="button"
                            class="btn btn-secondary btn-sm"
                            disabled={storeOff}
                            title={storeOff ? 'Needs STORE_MODEL_IN_DB=True' : undefined}
                            onClick={() => setModal({ kind: 'edit', model: m })}
                          >
                            Edit
                          </button>
                          <button type="button" class="btn btn-danger-ghost btn-sm" disabled={storeOff} onClick={() => setModal({ kind: 'delete', model: m })}>
                            Delete
                          </button>
                        </div>
                      ) : (
                        <span class="muted small" title="Edit the config file to change or remove this model">
                          read-only
                        </span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Card>

      {(modal?.kind === 'add' || modal?.kind === 'edit') && (
        <ModelFormDialog
          target={modal.kind === 'edit' ? modal.model : undefined}
          onClose={() => setModal(undefined)}
          onSaved={(name) => {
            toast(`${modal.kind === 'edit' ? 'Saved' : 'Added'} ${name}`);
            setModal(undefined);
            list.reload();
          }}
        />
      )}
      {modal?.kind === 'delete' && (
        <Confirm
          title="Delete model"
          confirmLabel="Delete model"
          danger
          onClose={() => setModal(undefined)}
          onConfirm={async () => {
            await post('/model/delete', { id: modal.model.model_info.id });
            toast(`Deleted ${modal.model.model_name}`);
            setModal(undefined);
            list.reload();
          }}
        >
          <p>
            Delete the deployment <strong>{modal.model.model_name}</strong> → <code>{modal.model.litellm_params.api_base}</code>? Requests for this alias stop
            going there at once.
          </p>
        </Confirm>
      )}
    </>
  );
}

function HealthCell({ h, loading }: { h?: DeploymentHealth; loading: boolean }) {
  if (!h) return <span class="muted small">{loading ? 'checking…' : '—'}</span>;
  const badge =
    h.state === 'healthy' ? (
      <Badge tone="ok">Healthy</Badge>
    ) : h.state === 'cooling_down' ? (
      <Badge tone="warn">Cooling down</Badge>
    ) : (
      <Badge tone="danger">Unreachable</Badge>
    );
  return (
    <div class="health" data-state={h.state}>
      {badge}
      {h.state === 'cooling_down' && h.cooldown_until && <span class="muted small">until {clock.format(new Date(h.cooldown_until))}</span>}
      {h.state !== 'healthy' && h.last_error && (
        <span class="small health-error" title={h.last_error}>
          {h.last_error}
        </span>
      )}
      <span class="muted small" title={`Probed ${h.checked_at}`}>
        {count(h.in_flight)} in flight
      </span>
    </div>
  );
}

function LoadCell({ h }: { h?: DeploymentHealth }) {
  if (!h || (h.queue_waiting === null && h.kv_cache_usage === null)) return <span class="muted">not reported</span>;
  return (
    <span title={h.load_updated_at ? `vLLM reported ${relative(h.load_updated_at)}` : undefined}>
      {h.queue_waiting !== null && `${count(h.queue_waiting)} waiting`}
      {h.requests_running !== null && ` · ${count(h.requests_running)} running`}
      {h.kv_cache_usage !== null && ` · KV ${(h.kv_cache_usage * 100).toFixed(0)}%`}
    </span>
  );
}
