// What teams and users share in the UI: their budget/limit fields in the shared form, their models picker,
// and the table of their keys (linking to each key's page).
import { type Deployment, get, type Key } from '../api';
import { Confirm, Empty, Loading, useApi } from '../components';
import { relative, usd } from '../format';
import { type Form, type FormErrors, Input, isCount, isMoney, Select } from '../form-dialog';
import { Link } from '../router';
import { KeyStatus, labelOf } from './key-status';

export const BUDGET_PERIODS: Array<[string, string]> = [
  ['', 'Never (lifetime budget)'],
  ['1d', 'Daily'],
  ['7d', 'Weekly'],
  ['30d', 'Every 30 days'],
  ['1mo', 'Monthly'],
];

/** The settings a team and a user both have (LiteLLM's scope columns), as form text. */
export interface ScopeForm {
  alias: string;
  models: string[];
  modelsText: string;
  budget: string;
  budgetPeriod: string;
  rpm: string;
  tpm: string;
  parallel: string;
}

export interface Scope {
  models: string[];
  max_budget: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
  spend: number;
}

const str = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
const numOrNull = (v: string) => (v === '' ? null : Number(v));

export function scopeInitial(s: Scope | undefined, alias: string | null | undefined): ScopeForm {
  return {
    alias: alias ?? '',
    models: s?.models ?? [],
    modelsText: (s?.models ?? []).join(', '),
    budget: str(s?.max_budget),
    budgetPeriod: s?.budget_duration ?? '',
    rpm: str(s?.rpm_limit),
    tpm: str(s?.tpm_limit),
    parallel: str(s?.max_parallel_requests),
  };
}

export function validateScope<F extends ScopeForm>(f: F): FormErrors<F> {
  const errors: FormErrors<ScopeForm> = {};
  if (f.alias.length > 255) errors.alias = 'At most 255 characters.';
  if (!isMoney(f.budget)) errors.budget = 'A number of dollars, 0 or more.';
  for (const field of ['rpm', 'tpm', 'parallel'] as const) if (!isCount(f[field])) errors[field] = 'A whole number, 0 or more.';
  return errors as FormErrors<F>;
}

/** The API body: on create (`before` undefined) what is set; on edit only what changed (a resent budget_duration moves the reset date). */
export function scopeBody(f: ScopeForm, before: ScopeForm | undefined, pickList: boolean, aliasField: string): Record<string, unknown> {
  const models = pickList
    ? f.models
    : f.modelsText
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
  const b = before ?? scopeInitial(undefined, '');
  const all: Record<string, [unknown, boolean]> = {
    [aliasField]: [f.alias.trim() || null, f.alias.trim() !== b.alias],
    models: [models, JSON.stringify([...models].sort()) !== JSON.stringify([...b.models].sort())],
    max_budget: [numOrNull(f.budget), f.budget !== b.budget],
    budget_duration: [f.budgetPeriod || null, f.budgetPeriod !== b.budgetPeriod],
    rpm_limit: [numOrNull(f.rpm), f.rpm !== b.rpm],
    tpm_limit: [numOrNull(f.tpm), f.tpm !== b.tpm],
    max_parallel_requests: [numOrNull(f.parallel), f.parallel !== b.parallel],
  };
  return Object.fromEntries(
    Object.entries(all)
      .filter(([, [v, changed]]) => changed && !(v === null && !before))
      .map(([k, [v]]) => [k, v]),
  );
}

/** The model aliases the proxy serves (for the picker); empty when none are configured. */
export const useModelNames = () =>
  useApi(() => get<{ data: Deployment[] }>('/model/info').then((r) => [...new Set(r.data.map((d) => d.model_name))].sort()), []);

/** The models a key, team or user may use: ticked from the served aliases, or typed when none are configured. */
export function ModelsField<F extends { models: string[]; modelsText: string }>({
  form,
  models,
  who,
}: {
  form: Form<F>;
  models: { data?: string[]; loading: boolean };
  who: string;
}) {
  const { f, set } = form as unknown as Form<{ models: string[]; modelsText: string }>;
  const pickList = !!models.data && models.data.length > 0;
  return (
    <fieldset class="field field-wide">
      <legend class="field-label">Models</legend>
      {models.loading ? (
        <Loading label="Loading models…" />
      ) : pickList ? (
        <div class="checks">
          {[...new Set([...models.data!, ...f.models])].map((m) => (
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
      <span class="field-hint">{pickList ? `None ticked: the ${who} may use every model.` : 'Comma-separated aliases; empty: every model.'}</span>
    </fieldset>
  );
}

/** Models, budget, budget period and limits. */
export function ScopeFields<F extends ScopeForm>({ form, models, who }: { form: Form<F>; models: { data?: string[]; loading: boolean }; who: string }) {
  return (
    <>
      <ModelsField form={form} models={models} who={`${who}'s keys`} />
      <Input form={form} name={'budget' as never} inputName="max_budget" label="Max budget (USD)" type="number" numeric="decimal" placeholder="No limit" />
      <Select form={form} name={'budgetPeriod' as never} inputName="budget_duration" label="Budget resets" options={BUDGET_PERIODS} />
      <Input form={form} name={'rpm' as never} inputName="rpm_limit" label="Requests per minute" type="number" numeric="integer" placeholder="No limit" />
      <Input form={form} name={'tpm' as never} inputName="tpm_limit" label="Tokens per minute" type="number" numeric="integer" placeholder="No limit" />
      <Input
        form={form}
        name={'parallel' as never}
        inputName="max_parallel_requests"
        label="Parallel requests"
        type="number"
        numeric="integer"
        placeholder="No limit"
      />
    </>
  );
}

/** Spend / budget with the reset period, as the tables show it. */
export function SpendCell({ s }: { s: Scope }) {
  return (
    <div class="stack">
      <span>
        <span class="num">{usd(s.spend)}</span>
        {s.max_budget !== null ? <span class="muted"> / {usd(s.max_budget)}</span> : <span class="muted"> · no budget</span>}
      </span>
      {s.budget_duration && (
        <span class="muted small" title={s.budget_reset_at ?? undefined}>
          resets every {s.budget_duration}
          {s.budget_reset_at ? `, next ${relative(s.budget_reset_at)}` : ''}
        </span>
      )}
    </div>
  );
}

export function ModelChips({ models }: { models: string[] }) {
  if (models.length === 0) return <span class="muted">All models</span>;
  return (
    <div class="chips">
      {models.map((m) => (
        <span key={m} class="chip">
          {m}
        </span>
      ))}
    </div>
  );
}

/** The keys of a team or user, each linking to its own page. */
export function KeysOf({ keys, label }: { keys: Key[]; label: string }) {
  if (keys.length === 0) return <Empty>No keys yet.</Empty>;
  return (
    <div class="table-wrap">
      <table class="table" aria-label={label}>
        <thead>
          <tr>
            <th>Key</th>
            <th>Spend / budget</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.token}>
              <td>
                <Link href={`/ui/key-management/${k.token}`} class="strong">
                  {labelOf(k)}
                </Link>
                <div class="mono small muted nowrap">{k.key_name}</div>
              </td>
              <td class="nowrap">
                {usd(k.spend)}
                {k.max_budget !== null && <span class="muted"> / {usd(k.max_budget)}</span>}
              </td>
              <td>
                <KeyStatus k={k} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Asks before deleting a team or user, whose keys go with it. */
export function DeleteWithKeys({
  what,
  name,
  onConfirm,
  onClose,
}: {
  what: 'team' | 'user';
  name: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  return (
    <Confirm title={`Delete ${what}`} confirmLabel={`Delete ${what}`} danger onClose={onClose} onConfirm={onConfirm}>
      <p>
        Delete <strong>{name}</strong>? <strong>Its keys are deleted too</strong> and refused at once. This cannot be undone.
      </p>
    </Confirm>
  );
}
