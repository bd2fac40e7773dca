import { type Key, type NewKey, post } from '../api';
import { day } from '../format';
import { type FormErrors, FormDialog, Input, isCount, isMoney, jsonObjectError, Select, TextArea, useForm } from '../form-dialog';
import { BUDGET_PERIODS, ModelsField, useModelNames } from './scope-fields';

const DURATIONS: Array<[string, string]> = [
  ['1h', '1 hour'],
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
  ['365d', '1 year'],
];
/** Expiry choices when editing: keep it, a new duration from now, or never. */
const KEEP = 'keep';
const NEVER = 'never';

interface KeyForm {
  alias: string;
  models: string[];
  modelsText: string;
  duration: string;
  budget: string;
  budgetPeriod: string;
  rpm: string;
  tpm: string;
  parallel: string;
  metadata: string;
}

function validate(f: KeyForm): FormErrors<KeyForm> {
  const errors: FormErrors<KeyForm> = {};
  if (f.alias.length > 255) errors.alias = 'At most 255 characters.';
  if (!isMoney(f.budget)) errors.budget = 'A number of dollars, 0 or more.';
  for (const field of ['rpm', 'tpm', 'parallel'] as const) if (!isCount(f[field])) errors[field] = 'A whole number, 0 or more.';
  const json = jsonObjectError(f.metadata);
  if (json) errors.metadata = json;
  return errors;
}

const str = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
const numOrNull = (v: string) => (v === '' ? null : Number(v));

function initialOf(k?: Key): KeyForm {
  const meta = k && Object.keys(k.metadata ?? {}).length ? JSON.stringify(k.metadata, null, 2) : '';
  return {
    alias: k?.key_alias ?? '',
    models: k?.models ?? [],
    modelsText: (k?.models ?? []).join(', '),
    duration: k ? KEEP : NEVER,
    budget: str(k?.max_budget),
    budgetPeriod: k?.budget_duration ?? '',
    rpm: str(k?.rpm_limit),
    tpm: str(k?.tpm_limit),
    parallel: str(k?.max_parallel_requests),
    metadata: meta,
  };
}

/** The API body for the form: everything on create; on edit only what changed (a resent budget_duration would move the reset date). */
function bodyOf(f: KeyForm, before: KeyForm, pickList: boolean): Record<string, unknown> {
  const models = pickList
    ? f.models
    : f.modelsText
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
  const all: Record<string, [unknown, boolean]> = {
    key_alias: [f.alias.trim() || null, f.alias.trim() !== before.alias],
    models: [models, JSON.stringify([...models].sort()) !== JSON.stringify([...before.models].sort())],
    max_budget: [numOrNull(f.budget), f.budget !== before.budget],
    budget_duration: [f.budgetPeriod || null, f.budgetPeriod !== before.budgetPeriod],
    rpm_limit: [numOrNull(f.rpm), f.rpm !== before.rpm],
    tpm_limit: [numOrNull(f.tpm), f.tpm !== before.tpm],
    max_parallel_requests: [numOrNull(f.parallel), f.parallel !== before.parallel],
    metadata: [f.metadata.trim() ? JSON.parse(f.metadata) : {}, f.metadata.trim() !== before.metadata.trim()],
    duration: [f.duration === NEVER ? null : f.duration, f.duration !== KEEP],
  };
  return Object.fromEntries(
    Object.entries(all)
      .filter(([, [v, changed]]) => changed && !(v === null && before === EMPTY))
      .map(([k, [v]]) => [k, v]),
  );
}
const EMPTY = initialOf();

/** Create a key, or edit one (`key` given): the same fields, through /key/generate or /key/update. */
export function KeyFormDialog({ target: k, onClose, onSaved }: { target?: Key; onClose: () => void; onSaved: (k: NewKey | Key) => void }) {
  const models = useModelNames();
  const before = k ? initialOf(k) : EMPTY;
  const form = useForm<KeyForm>(before, validate);
  const pickList = !!models.data && models.data.length > 0;
  const editing = k !== undefined;

  const save = async (f: KeyForm) => {
    const body = bodyOf(f, before, pickList);
    if (editing) onSaved(await post<Key>('/key/update', { key: k.token, ...body }));
    else onSaved(await post<NewKey>('/key/generate', { models: [], ...body }));
  };
  const expiry: Array<[string, string]> = editing
    ? [[KEEP, k.expires ? `Keep (${day(k.expires)})` : 'Keep (never)'], ...DURATIONS.map(([v, l]): [string, string] => [v, `${l} from now`]), [NEVER, 'Never']]
    : [[NEVER, 'Never'], ...DURATIONS];

  return (
    <FormDialog
      id={editing ? 'edit-key' : 'create-key'}
      title={editing ? `Edit key ${k.key_alias || k.key_name}` : 'Create key'}
      submitLabel={editing ? 'Save changes' : 'Create key'}
      busyLabel={editing ? 'Saving…' : 'Creating…'}
      form={form}
      onClose={onClose}
      onSubmit={save}
    >
      <Input form={form} name="alias" inputName="key_alias" label="Alias" hint="A unique name, e.g. the team or app using the key." wide />
      <ModelsField form={form} models={models} who="key" />
      <Select form={form} name="duration" label={editing ? 'Expires' : 'Expires after'} options={expiry} />
      <Input
        form={form}
        name="budget"
        inputName="max_budget"
        label="Max budget (USD)"
        hint="Requests are refused once spend reaches it."
        type="number"
        numeric="decimal"
        placeholder="No limit"
      />
      <Select
        form={form}
        name="budgetPeriod"
        inputName="budget_duration"
        label="Budget resets"
        options={BUDGET_PERIODS}
        hint={editing ? 'Changing it starts a new period now.' : undefined}
      />
      <Input form={form} name="rpm" inputName="rpm_limit" label="Requests per minute" type="number" numeric="integer" placeholder="No limit" />
      <Input form={form} name="tpm" inputName="tpm_limit" label="Tokens per minute" type="number" numeric="integer" placeholder="No limit" />
      <Input form={form} name="parallel" inputName="max_parallel_requests" label="Parallel requests" type="number" numeric="integer" placeholder="No limit" />
      <TextArea form={form} name="metadata" label="Metadata (JSON)" hint='Free-form, e.g. {"owner": "search-team"}; kept with the key.' />
    </FormDialog>
  );
}
