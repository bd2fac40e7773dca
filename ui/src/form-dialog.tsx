import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog, ErrorBanner, Field, messageOf } from './components';

export type FormErrors<F> = Partial<Record<keyof F, string>>;

/**
 * A create/edit form's state: values, validation shown once the user has tried to submit, and the
 * API's refusal. `submit(action)` validates, then runs `action`; a refusal is shown in the banner.
 */
export function useForm<F>(initial: F, validate: (f: F) => FormErrors<F>) {
  const [f, setF] = useState<F>(initial);
  const [touched, setTouched] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<F>) => setF((old) => ({ ...old, ...patch }));
  const submit = (action: (f: F) => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    setTouched(true);
    if (Object.keys(validate(f)).length > 0) return;
    setBusy(true);
    setError(undefined);
    try {
      await action(f);
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return { f, set, errors: touched ? validate(f) : ({} as FormErrors<F>), error, busy, submit };
}

export type Form<F> = ReturnType<typeof useForm<F>>;
/** The fields of F that hold text (every input of these forms does). */
type TextKeys<F> = { [K in keyof F]: F[K] extends string ? K : never }[keyof F] & string;

interface FieldProps<F> {
  form: Form<F>;
  name: TextKeys<F>;
  label: string;
  hint?: ComponentChildren;
  wide?: boolean;
  /** The input's `name` attribute (defaults to the form field's). */
  inputName?: string;
}

/** A text, number, URL or password input bound to one field of a form. */
export function Input<F>({
  form,
  name,
  label,
  hint,
  wide,
  inputName,
  type = 'text',
  placeholder,
  numeric,
}: FieldProps<F> & { type?: 'text' | 'number' | 'url' | 'password'; placeholder?: string; numeric?: 'decimal' | 'integer' }) {
  return (
    <Field label={label} hint={hint} error={form.errors[name]} wide={wide}>
      <input
        class="input"
        name={inputName ?? name}
        type={type as 'text'}
        placeholder={placeholder}
        autocomplete={type === 'password' ? 'off' : undefined}
        min={numeric ? '0' : undefined}
        step={numeric === 'integer' ? '1' : numeric ? 'any' : undefined}
        inputMode={numeric === 'integer' ? 'numeric' : numeric}
        value={form.f[name] as string}
        onInput={(e) => form.set({ [name]: e.currentTarget.value } as Partial<F>)}
      />
    </Field>
  );
}

/** A select bound to one field; options are [value, label]. */
export function Select<F>({ form, name, label, hint, wide, inputName, options }: FieldProps<F> & { options: Array<[string, string]> }) {
  return (
    <Field label={label} hint={hint} error={form.errors[name]} wide={wide}>
      <select class="input" name={inputName ?? name} value={form.f[name] as string} onChange={(e) => form.set({ [name]: e.currentTarget.value } as Partial<F>)}>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A multi-line text field (JSON and the like). */
export function TextArea<F>({ form, name, label, hint, wide = true, inputName, rows = 4 }: FieldProps<F> & { rows?: number }) {
  return (
    <Field label={label} hint={hint} error={form.errors[name]} wide={wide}>
      <textarea
        class="input mono"
        name={inputName ?? name}
        rows={rows}
        spellcheck={false}
        value={form.f[name] as string}
        onInput={(e) => form.set({ [name]: e.currentTarget.value } as Partial<F>)}
      />
    </Field>
  );
}

// --- checks shared by the forms ---

export const isMoney = (v: string) => v === '' || Number(v) >= 0;
export const isCount = (v: string) => v === '' || (Number.isInteger(Number(v)) && Number(v) >= 0);
/** A JSON object, or empty. */
export function jsonObjectError(v: string): string | undefined {
  if (!v.trim()) return undefined;
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? undefined : 'Must be a JSON object, e.g. {"team": "search"}.';
  } catch (err) {
    return `Not valid JSON: ${messageOf(err)}`;
  }
}

/** The dialog every create/edit form sits in: title, the form's fields, Cancel and the submit button. */
export function FormDialog<F>({
  id,
  title,
  submitLabel,
  busyLabel,
  form,
  onClose,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  submitLabel: string;
  busyLabel: string;
  form: Form<F>;
  onClose: () => void;
  /** What submitting does once the fields are valid; a refusal it throws is shown in the form. */
  onSubmit: (f: F) => Promise<void>;
  children: ComponentChildren;
}) {
  return (
    <Dialog
      title={title}
      wide
      onClose={onClose}
      footer={
        <>
          <button type="button" class="btn btn-secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={id} class="btn btn-primary" disabled={form.busy}>
            {form.busy ? busyLabel : submitLabel}
          </button>
        </>
      }
    >
      <form id={id} class="form-grid" onSubmit={form.submit(onSubmit)} noValidate>
        <ErrorBanner error={form.error} />
        {children}
      </form>
    </Dialog>
  );
}
