import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { Dialog, ErrorBanner, messageOf } from './components';

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

/** The dialog every create/edit form sits in: title, the form's fields, Cancel and the submit button. */
export function FormDialog({
  id,
  title,
  submitLabel,
  busyLabel,
  busy,
  error,
  onClose,
  onSubmit,
  children,
}: {
  id: string;
  title: string;
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  error?: string;
  onClose: () => void;
  onSubmit: (e: Event) => void;
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
          <button type="submit" form={id} class="btn btn-primary" disabled={busy}>
            {busy ? busyLabel : submitLabel}
          </button>
        </>
      }
    >
      <form id={id} class="form-grid" onSubmit={onSubmit} noValidate>
        <ErrorBanner error={error} />
        {children}
      </form>
    </Dialog>
  );
}
