import { useState } from 'preact/hooks';
import { login } from '../api';
import { Field, messageOf } from '../components';

export function LoginPage({ notice, onLoggedIn }: { notice?: string; onLoggedIn: () => void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await login(username, password);
      onLoggedIn();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} noValidate>
        <div class="brand brand-lg">
          <span class="brand-mark" aria-hidden="true" />
          Model Proxy
        </div>
        <h1>Sign in</h1>
        <p class="muted">Manage keys, models and spend.</p>
        {notice && !error && <div class="banner banner-info">{notice}</div>}
        {error && (
          <div class="banner banner-error" role="alert">
            {error}
          </div>
        )}
        <Field label="Username">
          <input class="input" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </Field>
        <Field label="Password" hint="The proxy's master key (LITELLM_MASTER_KEY).">
          <input
            class="input"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            autofocus
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <button class="btn btn-primary btn-block" type="submit" disabled={busy || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
