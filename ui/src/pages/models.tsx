import { useState } from 'preact/hooks';
import { type Deployment, get, post } from '../api';
import { Badge, Card, Confirm, Empty, ErrorBanner, Field, Loading, toast, useApi } from '../components';
import { perMillion } from '../format';
import { type FormErrors, FormDialog, useForm } from '../form-dialog';

type Modal = { kind: 'add' } | { kind: 'delete'; model: Deployment };

export function ModelsPage() {
  const list = useApi(() => get<{ data: Deployment[] }>('/model/info'), []);
  const [modal, setModal] = useState<Modal>();
  const rows = [...(list.data?.data ?? [])].sort(
    (a, b) => a.model_name.localeCompare(b.model_name) || Number(a.model_info.db_model) - Number(b.model_info.db_model),
  );
  const aliases = new Set(rows.map((r) => r.model_name)).size;

  return (
    <>
      <div class="page-head">
        <div>
          <h1>Models</h1>
          <p class="muted">
            Every deployment the proxy routes to. Entries sharing an alias are balanced. Models from the config file change only there; models added here live
            in the database.
          </p>
        </div>
        <button type="button" class="btn btn-primary" onClick={() => setModal({ kind: 'add' })}>
          + Add model
        </button>
      </div>

      <Card title={list.data ? `${rows.length} deployment${rows.length === 1 ? '' : 's'} · ${aliases} alias${aliases === 1 ? '' : 'es'}` : undefined}>
        <ErrorBanner error={list.error && `Could not load models: ${list.error}`} />
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
                  <th>Upstream model</th>
                  <th>API base</th>
                  <th>API key</th>
                  <th class="num">Input / 1M</th>
                  <th class="num">Output / 1M</th>
                  <th>Source</th>
                  <th class="col-actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((m) => (
                  <tr key={m.model_info.id} data-model={m.model_name}>
                    <td class="strong card-title">{m.model_name}</td>
                    <td class="mono" data-label="Upstream model">
                      {m.litellm_params.model}
                    </td>
                    <td class="mono small" data-label="API base">
                      {m.litellm_params.api_base ?? <span class="muted">—</span>}
                    </td>
                    <td class="mono small" data-label="API key">
                      {m.litellm_params.api_key ? String(m.litellm_params.api_key) : <span class="muted">none</span>}
                    </td>
                    <td class="num" data-label="Input / 1M">
                      {perMillion(m.model_info.input_cost_per_token)}
                    </td>
                    <td class="num" data-label="Output / 1M">
                      {perMillion(m.model_info.output_cost_per_token)}
                    </td>
                    <td data-label="Source">{m.model_info.db_model ? <Badge tone="info">Database</Badge> : <Badge>Config file</Badge>}</td>
                    <td class="col-actions">
                      {m.model_info.db_model ? (
                        <button type="button" class="btn btn-danger-ghost btn-sm" onClick={() => setModal({ kind: 'delete', model: m })}>
                          Delete
                        </button>
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

      {modal?.kind === 'add' && (
        <AddModelDialog
          onClose={() => setModal(undefined)}
          onAdded={(name) => {
            toast(`Added ${name}`);
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

interface ModelForm {
  name: string;
  upstream: string;
  apiBase: string;
  apiKey: string;
  inputPrice: string;
  outputPrice: string;
}

const PROVIDER = /^(openai|hosted_vllm)\//;

function validate(f: ModelForm): FormErrors<ModelForm> {
  const errors: FormErrors<ModelForm> = {};
  if (!f.name.trim()) errors.name = 'Required: the name clients send as `model`.';
  else if (/\s/.test(f.name.trim())) errors.name = 'No spaces.';
  if (!f.upstream.trim()) errors.upstream = 'Required: the model id vLLM serves.';
  if (!f.apiBase.trim()) errors.apiBase = 'Required.';
  else {
    try {
      const u = new URL(f.apiBase.trim());
      if (u.protocol !== 'http:' && u.protocol !== 'https:') errors.apiBase = 'Must start with http:// or https://.';
    } catch {
      errors.apiBase = 'Not a URL, e.g. http://127.0.0.1:8000/v1.';
    }
  }
  for (const field of ['inputPrice', 'outputPrice'] as const) {
    if (f[field] !== '' && !(Number(f[field]) >= 0)) errors[field] = 'A price in dollars, 0 or more.';
  }
  return errors;
}

function AddModelDialog({ onClose, onAdded }: { onClose: () => void; onAdded: (name: string) => void }) {
  const { f, set, errors, error, busy, submit } = useForm<ModelForm>(
    { name: '', upstream: '', apiBase: '', apiKey: '', inputPrice: '', outputPrice: '' },
    validate,
  );

  const add = submit(async (f) => {
    const upstream = f.upstream.trim();
    const params: Record<string, unknown> = {
      model: PROVIDER.test(upstream) ? upstream : `openai/${upstream}`,
      api_base: f.apiBase.trim().replace(/\/+$/, ''),
    };
    if (f.apiKey) params.api_key = f.apiKey;
    const info: Record<string, unknown> = {};
    // Prices are entered per million tokens, as vendors quote them; the API stores them per token.
    if (f.inputPrice !== '') info.input_cost_per_token = Number(f.inputPrice) / 1e6;
    if (f.outputPrice !== '') info.output_cost_per_token = Number(f.outputPrice) / 1e6;
    await post('/model/new', { model_name: f.name.trim(), litellm_params: params, model_info: info });
    onAdded(f.name.trim());
  });

  return (
    <FormDialog id="add-model" title="Add model" submitLabel="Add model" busyLabel="Adding…" busy={busy} error={error} onClose={onClose} onSubmit={add}>
      <Field label="Alias" hint="What clients send as `model`; an existing alias gains a deployment." error={errors.name}>
        <input class="input" name="model_name" placeholder="gemma-4-31b" value={f.name} onInput={(e) => set({ name: e.currentTarget.value })} />
      </Field>
      <Field label="Upstream model" hint="The id vLLM loaded (sent as openai/<id>)." error={errors.upstream}>
        <input
          class="input"
          name="upstream_model"
          placeholder="google/gemma-4-31b"
          value={f.upstream}
          onInput={(e) => set({ upstream: e.currentTarget.value })}
        />
      </Field>
      <Field label="API base" hint="The vLLM server's OpenAI base URL." error={errors.apiBase} wide>
        <input
          class="input"
          name="api_base"
          type="url"
          placeholder="http://127.0.0.1:8000/v1"
          value={f.apiBase}
          onInput={(e) => set({ apiBase: e.currentTarget.value })}
        />
      </Field>
      <Field label="API key" hint="Only if vLLM runs with --api-key; stored encrypted, never shown again." wide>
        <input
          class="input"
          name="api_key"
          type="password"
          autocomplete="off"
          placeholder="Optional"
          value={f.apiKey}
          onInput={(e) => set({ apiKey: e.currentTarget.value })}
        />
      </Field>
      <Field label="Input price (USD / 1M tokens)" error={errors.inputPrice}>
        <input
          class="input"
          name="input_price"
          type="number"
          min="0"
          step="any"
          inputMode="decimal"
          placeholder="0"
          value={f.inputPrice}
          onInput={(e) => set({ inputPrice: e.currentTarget.value })}
        />
      </Field>
      <Field label="Output price (USD / 1M tokens)" error={errors.outputPrice}>
        <input
          class="input"
          name="output_price"
          type="number"
          min="0"
          step="any"
          inputMode="decimal"
          placeholder="0"
          value={f.outputPrice}
          onInput={(e) => set({ outputPrice: e.currentTarget.value })}
        />
      </Field>
    </FormDialog>
  );
}
