import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { logout, session, whenSessionLost } from './api';
import { Loading, Toasts } from './components';
import { KeyDetailPage } from './pages/key-detail';
import { AuditPage } from './pages/audit';
import { KeysPage } from './pages/keys';
import { LoginPage } from './pages/login';
import { ModelsPage } from './pages/models';
import { SpendPage } from './pages/spend';
import { TeamsPage } from './pages/teams';
import { UsersPage } from './pages/users';
import { Link, navigate, useLocation } from './router';
import './styles.css';

const PAGES = [
  { path: '/ui/key-management', title: 'Keys', Page: KeysPage },
  { path: '/ui/teams', title: 'Teams', Page: TeamsPage },
  { path: '/ui/users', title: 'Users', Page: UsersPage },
  { path: '/ui/models', title: 'Models', Page: ModelsPage },
  { path: '/ui/spend', title: 'Spend', Page: SpendPage },
  { path: '/ui/audit', title: 'Audit', Page: AuditPage },
];
const HOME = PAGES[0].path;

type Auth = 'checking' | 'in' | 'out';

function App() {
  const { path } = useLocation();
  const [auth, setAuth] = useState<Auth>('checking');
  const [notice, setNotice] = useState<string>();

  useEffect(() => {
    whenSessionLost(() => {
      setNotice('Your session ended. Sign in again to continue.');
      setAuth('out');
    });
    session().then(
      (s) => setAuth(s.authenticated ? 'in' : 'out'),
      () => setAuth('out'),
    );
  }, []);

  const clean = path.replace(/\/+$/, '');
  const page = PAGES.find((p) => p.path === clean);
  // A key's own page: /ui/key-management/<its hash>.
  const keyToken = /^\/ui\/key-management\/([0-9a-f]{64})$/.exec(clean)?.[1];
  const section = page ?? (keyToken ? PAGES[0] : undefined);
  const atRoot = path === '/ui/' || path === '/ui';
  useEffect(() => {
    if (auth === 'in' && atRoot) navigate(HOME, { replace: true });
  }, [auth, atRoot]);
  useEffect(() => {
    document.title = auth === 'in' && section ? `${keyToken ? 'Key' : section.title} · Model Proxy` : 'Model Proxy';
  }, [auth, section, keyToken]);

  if (auth === 'checking') return <Loading />;
  if (auth === 'out') {
    return (
      <LoginPage
        notice={notice}
        onLoggedIn={() => {
          setNotice(undefined);
          setAuth('in');
        }}
      />
    );
  }

  const signOut = async () => {
    await logout().catch(() => undefined);
    setNotice('You signed out.');
    setAuth('out');
    navigate('/ui/');
  };

  return (
    <div class="app">
      <header class="topbar">
        <div class="topbar-inner">
          <Link href={HOME} class="brand">
            <span class="brand-mark" aria-hidden="true" />
            Model Proxy
          </Link>
          <nav class="nav" aria-label="Main">
            {PAGES.map((p) => (
              <Link key={p.path} href={p.path} class="nav-link" aria-current={p === section ? 'page' : undefined}>
                {p.title}
              </Link>
            ))}
          </nav>
          <div class="topbar-end">
            <span class="muted small who">admin</span>
            <button type="button" class="btn btn-ghost btn-sm" onClick={signOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main class="content">
        {page ? (
          <page.Page />
        ) : keyToken ? (
          <KeyDetailPage token={keyToken} />
        ) : atRoot ? (
          <Loading />
        ) : (
          <div class="empty">
            <h1>Page not found</h1>
            <p>
              There is nothing at <code>{path}</code>. <Link href={HOME}>Go to keys</Link>.
            </p>
          </div>
        )}
      </main>
      <Toasts />
    </div>
  );
}

render(<App />, document.getElementById('app')!);
