import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Loads data for a page; `reload()` fetches again (after a change). Stale answers are dropped. */
export function useApi<T>(load: () => Promise<T>, deps: unknown[]): { data?: T; error?: string; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) => live && setState({ error: messageOf(err), loading: false }),
    );
    return () => {
      live = false;
    };
    // The caller lists in `deps` what `load` reads.
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

// --- toasts: short confirmations of what an action did ---

type Toast = { id: number; text: string; tone: 'ok' | 'error' };
let toasts: Toast[] = [];
let toastSeq = 0;
const toastListeners = new Set<(t: Toast[]) => void>();

export function toast(text: string, tone: Toast['tone'] = 'ok'): void {
  const t = { id: ++toastSeq, text, tone };
  toasts = [...toasts, t];
  toastListeners.forEach((l) => l(toasts));
  setTimeout(() => {
    toasts = toasts.filter((x) => x !== t);
    toastListeners.forEach((l) => l(toasts));
  }, 4000);
}

export function Toasts() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    toastListeners.add(setList);
    return () => void toastListeners.delete(setList);
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast toast-${t.tone}`}>
          {t.text}
        </div>
      ))}
    </div>
  );
}

// --- small pieces ---

export function ErrorBanner({ error }: { error?: string }) {
  if (!error) return null;
  return (
    <div class="banner banner-error" role="alert">
      {error}
    </div>
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: 'neutral' | 'ok' | 'warn' | 'danger' | 'info'; children: ComponentChildren }) {
  return <span class={`badge badge-${tone}`}>{children}</span>;
}

/** A headline figure; `bad` colours the line under it (failures). */
export function Stat({ label, value, sub, bad }: { label: string; value: string; sub?: string; bad?: boolean }) {
  return (
    <div class="stat">
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
      {sub && <div class={`stat-sub ${bad ? 'stat-sub-bad' : ''}`}>{sub}</div>}
    </div>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div class="loading" aria-busy="true">
      <span class="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty">{children}</div>;
}

export function Card({
  title,
  actions,
  children,
  class: cls,
}: {
  title?: ComponentChildren;
  actions?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
}) {
  return (
    <section class={`card ${cls ?? ''}`}>
      {(title || actions) && (
        <header class="card-head">
          {title && <h2>{title}</h2>}
          {actions && <div class="card-actions">{actions}</div>}
        </header>
      )}
      {children}
    </section>
  );
}

export function Pager({ page, pages, onPage, summary }: { page: number; pages?: number; onPage: (p: number) => void; summary?: string }) {
  const hasNext = pages === undefined ? false : page < pages;
  return (
    <nav class="pager" aria-label="Pages">
      <span class="muted">{summary ?? (pages ? `Page ${page} of ${pages}` : `Page ${page}`)}</span>
      <div class="pager-buttons">
        <button type="button" class="btn btn-secondary btn-sm" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          ← Previous
        </button>
        <button type="button" class="btn btn-secondary btn-sm" disabled={!hasNext} onClick={() => onPage(page + 1)}>
          Next →
        </button>
      </div>
    </nav>
  );
}

/** A labelled form field with its hint or validation message (outside the label, so the field's name is just the label). */
export function Field({
  label,
  hint,
  error,
  children,
  wide,
}: {
  label: string;
  hint?: ComponentChildren;
  error?: string;
  children: ComponentChildren;
  wide?: boolean;
}) {
  return (
    <div class={`field ${wide ? 'field-wide' : ''} ${error ? 'field-invalid' : ''}`}>
      <label class="field-main">
        <span class="field-label">{label}</span>
        {children}
      </label>
      {error ? <span class="field-error">{error}</span> : hint ? <span class="field-hint">{hint}</span> : null}
    </div>
  );
}

// --- dialogs (native <dialog>: focus trap, Escape and the backdrop come with it) ---

export function Dialog({
  title,
  onClose,
  children,
  footer,
  wide,
}: {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  footer?: ComponentChildren;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      class={`dialog ${wide ? 'dialog-wide' : ''}`}
      aria-label={title}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <header class="dialog-head">
        <h2>{title}</h2>
        <button type="button" class="btn-icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </header>
      <div class="dialog-body">{children}</div>
      {footer && <footer class="dialog-foot">{footer}</footer>}
    </dialog>
  );
}

/** Asks before a change that cannot be undone; shows the API's refusal if there is one. */
export function Confirm({
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
}: {
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<void>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" class="btn btn-secondary" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="button" class={`btn ${danger ? 'btn-danger' : 'btn-primary'}`} onClick={run} disabled={busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </>
      }
    >
      <div class="confirm-text">{children}</div>
      <ErrorBanner error={error} />
    </Dialog>
  );
}

async function copyText(text: string, input: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API outside a secure context (plain http on a LAN address): select and copy.
    if (!input) return false;
    input.select();
    return document.execCommand('copy');
  }
}

/** A secret shown exactly once, with a copy button. */
export function SecretDialog({ title, secret, note, onClose }: { title: string; secret: string; note: ComponentChildren; onClose: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<boolean>();
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <button type="button" class="btn btn-primary" onClick={onClose}>
          Done
        </button>
      }
    >
      <p class="banner banner-warn">
        <strong>Copy this key now.</strong> It is shown only once: the proxy keeps only its hash.
      </p>
      <div class="secret">
        <input ref={input} class="input mono" readOnly value={secret} aria-label="New key" onFocus={(e) => e.currentTarget.select()} />
        <button type="button" class="btn btn-secondary" onClick={async () => setCopied(await copyText(secret, input.current))}>
          {copied ? 'Copied ✓' : 'Copy'}
        </button>
      </div>
      {copied === false && <p class="field-error">Copy failed: select the key and copy it by hand.</p>}
      <div class="muted small">{note}</div>
    </Dialog>
  );
}
