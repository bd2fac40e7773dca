import { useState } from 'preact/hooks';
import { get, type Key, post } from '../api';
import { Badge, Card, Dialog, Empty, ErrorBanner, Loading, Pager, SecretDialog, toast, useApi } from '../components';
import { type FormErrors, FormDialog, Input, Select, useForm } from '../form-dialog';
import { setQuery, useLocation } from '../router';
import { limitsOf } from './key-status';
import {
  DeleteWithKeys,
  KeysOf,
  ModelChips,
  type Scope,
  type ScopeForm,
  ScopeFields,
  scopeBody,
  scopeInitial,
  SpendCell,
  useModelNames,
  validateScope,
} from './scope-fields';

export interface User extends Scope {
  user_id: string;
  user_alias: string | null;
  user_email: string | null;
  user_role: string | null;
  teams: string[];
  created_at: string | null;
}
interface UserList {
  users: User[];
  total: number;
  page: number;
  total_pages: number;
}

const PAGE_SIZE = 25;
const ROLES: Array<[string, string]> = [
  ['internal_user', 'Internal user'],
  ['internal_user_viewer', 'Internal user (viewer)'],
  ['proxy_admin', 'Proxy admin'],
  ['proxy_admin_viewer', 'Proxy admin (viewer)'],
  ['customer', 'Customer'],
];
const nameOf = (u: User) => u.user_alias || u.user_email || u.user_id;

type Modal = { kind: 'create' } | { kind: 'edit' | 'delete' | 'open'; user: User } | { kind: 'secret'; secret: string; label: string };

export function UsersPage() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get('page')) || 1);
  const list = useApi(() => get<UserList>('/user/list', { page, page_size: PAGE_SIZE }), [page]);
  const [modal, setModal] = useState<Modal>();
  const close = () => setModal(undefined);
  const users = list.data?.users ?? [];
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Users</h1>
          <p class="muted">People and services with their own budget, limits and keys.</p>
        </div>
        <button type="button" class="btn btn-primary" onClick={() => setModal({ kind: 'create' })}>
          + Create user
        </button>
      </div>
      <Card>
        <ErrorBanner error={list.error} />
        {list.loading && !list.data ? (
          <Loading />
        ) : users.length === 0 && !list.error ? (
          <Empty>No users yet.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table table-cards" aria-label="Users">
              <thead>
                <tr>
                  <th>User</th>
                  <th>Role · teams</th>
                  <th>Models</th>
                  <th>Spend / budget</th>
                  <th>Limits</th>
                  <th class="col-actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.map((u) => (
                  <tr key={u.user_id} data-user={u.user_alias ?? u.user_id}>
                    <td class="card-title">
                      <button type="button" class="btn btn-ghost btn-sm strong" onClick={() => setModal({ kind: 'open', user: u })}>
                        {nameOf(u)}
                      </button>
                      <div class="mono small muted">{u.user_id}</div>
                    </td>
                    <td data-label="Role · teams">
                      <div class="stack">
                        <span>{u.user_role ? <Badge>{u.user_role}</Badge> : <span class="muted">no role</span>}</span>
                        <span class="muted small">{u.teams.length ? u.teams.join(', ') : 'no team'}</span>
                      </div>
                    </td>
                    <td data-label="Models">
                      <ModelChips models={u.models} />
                    </td>
                    <td class="nowrap" data-label="Spend / budget">
                      <SpendCell s={u} />
                    </td>
                    <td class="nowrap small" data-label="Limits">
                      {limitsOf(u) ?? <span class="muted">none</span>}
                    </td>
                    <td class="col-actions">
                      <div class="row-actions">
                        <button type="button" class="btn btn-secondary btn-sm" onClick={() => setModal({ kind: 'open', user: u })}>
                          Keys
                        </button>
                        <button type="button" class="btn btn-secondary btn-sm" onClick={() => setModal({ kind: 'edit', user: u })}>
                          Edit
                        </button>
                        <button type="button" class="btn btn-danger-ghost btn-sm" onClick={() => setModal({ kind: 'delete', user: u })}>
                          Delete
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {list.data && list.data.total > 0 && (
          <Pager
            page={page}
            pages={Math.max(1, list.data.total_pages)}
            summary={`${list.data.total} user${list.data.total === 1 ? '' : 's'} · page ${page} of ${Math.max(1, list.data.total_pages)}`}
            onPage={(p) => setQuery({ page: p > 1 ? p : undefined })}
          />
        )}
      </Card>
      {(modal?.kind === 'create' || modal?.kind === 'edit') && (
        <UserFormDialog
          target={modal.kind === 'edit' ? modal.user : undefined}
          onClose={close}
          onSaved={(u, secret) => {
            list.reload();
            if (secret) return setModal({ kind: 'secret', secret, label: nameOf(u) });
            toast(`${modal.kind === 'edit' ? 'Saved' : 'Created'} ${nameOf(u)}`);
            close();
          }}
        />
      )}
      {modal?.kind === 'open' && <UserKeysDialog user={modal.user} onClose={close} />}
      {modal?.kind === 'delete' && (
        <DeleteWithKeys
          what="user"
          name={nameOf(modal.user)}
          onClose={close}
          onConfirm={async () => {
            await post('/user/delete', { user_ids: [modal.user.user_id] });
            toast(`Deleted ${nameOf(modal.user)}`);
            close();
            list.reload();
          }}
        />
      )}
      {modal?.kind === 'secret' && (
        <SecretDialog
          title="User created"
          secret={modal.secret}
          onClose={close}
          note={
            <>
              The user's first key (user <strong>{modal.label}</strong>). Clients send it as <code>Authorization: Bearer …</code>.
            </>
          }
        />
      )}
    </>
  );
}

interface UserForm extends ScopeForm {
  id: string;
  email: string;
  role: string;
  autoKey: string;
}

function validate(f: UserForm): FormErrors<UserForm> {
  const errors = validateScope(f);
  if (f.email && !/^[^@\s]+@[^@\s]+$/.test(f.email.trim())) errors.email = 'An email address, e.g. ana@example.com.';
  return errors;
}

function UserFormDialog({ target: u, onClose, onSaved }: { target?: User; onClose: () => void; onSaved: (u: User, secret?: string) => void }) {
  const models = useModelNames();
  const before = u ? scopeInitial(u, u.user_alias) : undefined;
  const form = useForm<UserForm>(
    { ...(before ?? scopeInitial(undefined, '')), id: u?.user_id ?? '', email: u?.user_email ?? '', role: u?.user_role ?? 'internal_user', autoKey: 'yes' },
    validate,
  );
  const save = async (f: UserForm) => {
    const body: Record<string, unknown> = scopeBody(f, before, !!models.data?.length, 'user_alias');
    if (f.email.trim() !== (u?.user_email ?? '')) body.user_email = f.email.trim() || null;
    if (f.role !== (u?.user_role ?? '')) body.user_role = f.role;
    if (u) return onSaved((await post<{ data: User }>('/user/update', { user_id: u.user_id, ...body })).data);
    const made = await post<User & { key?: string | null }>('/user/new', { ...body, user_id: f.id.trim() || undefined, auto_create_key: f.autoKey === 'yes' });
    onSaved(made, made.key ?? undefined);
  };
  return (
    <FormDialog
      id={u ? 'edit-user' : 'create-user'}
      title={u ? `Edit user ${nameOf(u)}` : 'Create user'}
      submitLabel={u ? 'Save changes' : 'Create user'}
      busyLabel={u ? 'Saving…' : 'Creating…'}
      form={form}
      onClose={onClose}
      onSubmit={save}
    >
      {!u && <Input form={form} name="id" inputName="user_id" label="User id" hint="Random when empty." />}
      <Input form={form} name="email" inputName="user_email" label="Email" />
      <Input form={form} name="alias" inputName="user_alias" label="Alias" />
      <Select form={form} name="role" inputName="user_role" label="Role" options={ROLES} />
      {!u && (
        <Select
          form={form}
          name="autoKey"
          inputName="auto_create_key"
          label="First key"
          options={[
            ['yes', 'Create a key for the user now'],
            ['no', 'No key yet'],
          ]}
        />
      )}
      <ScopeFields form={form} models={models} who="user" />
    </FormDialog>
  );
}

function UserKeysDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const info = useApi(() => get<{ keys: Key[] }>('/user/info', { user_id: user.user_id }), [user.user_id]);
  return (
    <Dialog title={`User ${nameOf(user)}`} wide onClose={onClose}>
      <ErrorBanner error={info.error} />
      <h3>Keys</h3>
      {info.loading && !info.data ? <Loading /> : <KeysOf keys={info.data?.keys ?? []} label="User keys" />}
    </Dialog>
  );
}
