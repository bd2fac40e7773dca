import { type Deployment, post } from '../api';
import { type FormErrors, FormDialog, Input, isMoney, useForm } from '../form-dialog';

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
  for (const field of ['inputPrice', 'outputPrice'] as const) if (!isMoney(f[field])) errors[field] = 'A price in dollars, 0 or more.';
  return errors;
}

// Prices are entered per million tokens, as vendors quote them; the API stores them per token.
const perMillion = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(Number((v * 1e6).toPrecision(12))));

/** Add a database model, or edit one (`target` given): the same fields, through /model/new or /model/update. */
export function ModelFormDialog({ target, onClose, onSaved }: { target?: Deployment; onClose: () => void; onSaved: (name: string) => void }) {
  const editing = target !== undefined;
  const form = useForm<ModelForm>(
    {
      name: target?.model_name ?? '',
      upstream: target?.litellm_params.model.replace(PROVIDER, '') ?? '',
      apiBase: target?.litellm_params.api_base ?? '',
      apiKey: '',
      inputPrice: perMillion(target?.model_info.input_cost_per_token),
      outputPrice: perMillion(target?.model_info.output_cost_per_token),
    },
    validate,
  );

  const save = async (f: ModelForm) => {
    const upstream = f.upstream.trim();
    const params: Record<string, unknown> = {
      model: PROVIDER.test(upstream) ? upstream : `openai/${upstream}`,
      api_base: f.apiBase.trim().replace(/\/+$/, ''),
    };
    // Editing: an empty key field keeps the stored key.
    if (f.apiKey) params.api_key = f.apiKey;
    const info: Record<string, unknown> = {};
    if (f.inputPrice !== '' || editing) info.input_cost_per_token = f.inputPrice === '' ? 0 : Number(f.inputPrice) / 1e6;
    if (f.outputPrice !== '' || editing) info.output_cost_per_token = f.outputPrice === '' ? 0 : Number(f.outputPrice) / 1e6;
    const body = { model_name: f.name.trim(), litellm_params: params, model_info: info };
    if (editing) await post('/model/update', { model_id: target.model_info.id, ...body });
    else await post('/model/new', body);
    onSaved(f.name.trim());
  };

  return (
    <FormDialog
      id={editing ? 'edit-model' : 'add-model'}
      title={editing ? `Edit model ${target.model_name}` : 'Add model'}
      submitLabel={editing ? 'Save changes' : 'Add model'}
      busyLabel={editing ? 'Saving…' : 'Adding…'}
      form={form}
      onClose={onClose}
      onSubmit={save}
    >
      <Input
        form={form}
        name="name"
        inputName="model_name"
        label="Alias"
        hint="What clients send as `model`; an existing alias gains a deployment."
        placeholder="gemma-4-31b"
      />
      <Input
        form={form}
        name="upstream"
        inputName="upstream_model"
        label="Upstream model"
        hint="The id vLLM loaded (sent as openai/<id>)."
        placeholder="google/gemma-4-31b"
      />
      <Input
        form={form}
        name="apiBase"
        inputName="api_base"
        label="API base"
        hint="The vLLM server's OpenAI base URL."
        type="url"
        placeholder="http://127.0.0.1:8000/v1"
        wide
      />
      <Input
        form={form}
        name="apiKey"
        inputName="api_key"
        label="API key"
        hint={
          editing
            ? 'Leave empty to keep the stored key; stored encrypted, never shown again.'
            : 'Only if vLLM runs with --api-key; stored encrypted, never shown again.'
        }
        type="password"
        placeholder={editing ? 'Unchanged' : 'Optional'}
        wide
      />
      <Input form={form} name="inputPrice" inputName="input_price" label="Input price (USD / 1M tokens)" type="number" numeric="decimal" placeholder="0" />
      <Input form={form} name="outputPrice" inputName="output_price" label="Output price (USD / 1M tokens)" type="number" numeric="decimal" placeholder="0" />
    </FormDialog>
  );
}
