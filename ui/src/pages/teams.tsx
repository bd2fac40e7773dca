import { useState } from 'preact/hooks';
import { get, type Key, post } from '../api';
import { Badge, Card, Dialog, Empty, ErrorBanner, Loading, messageOf, toast, useApi } from '../components';
import { FormDialog, Input, useForm } from '../form-dialog';
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

export interface Team extends Scope {
  team_id: string;
  team_alias: string | null;
  members: string[];
  members_with_roles: Array<{ role: string; user_id: string | null; user_email: string | null }>;
  blocked: boolean;
  created_at: string | null;
}

const nameOf = (t: Team) => t.team_alias || t.team_id;

type Modal = { kind: 'create' } | { kind: 'edit' | 'delete' | 'open'; team: Team };

export function TeamsPage() {
  const list = useApi(() => get<Team[]>('/team/list'), []);
  const [modal, setModal] = useState<Modal>();
  const [busy, setBusy] = useState<string>();
  const close = () => setModal(undefined);

  const toggleBlock = async (t: Team) => {
    setBusy(t.team_id);
    try {
      await post(t.blocked ? '/team/unblock' : '/team/block', { team_id: t.team_id });
      toast(`${t.blocked ? 'Unblocked' : 'Blocked'} ${nameOf(t)}`);
      list.reload();
    } catch (err) {
      toast(messageOf(err), 'error');
    } finally {
      setBusy(undefined);
    }
  };

  const teams = list.data ?? [];
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Teams</h1>
          <p class="muted">A team's models, budget, limits and block apply to every key of it.</p>
        </div>
        <button type="button" class="btn btn-primary" onClick={() => setModal({ kind: 'create' })}>
          + Create team
        </button>
      </div>
      <Card>
        <ErrorBanner error={list.error} />
        {list.loading && !list.data ? (
          <Loading />
        ) : teams.length === 0 && !list.error ? (
          <Empty>No teams yet. Create one to share a budget and limits between keys.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table table-cards" aria-label="Teams">
              <thead>
                <tr>
                  <th>Alias · id</th>
                  <th>Models</th>
                  <th>Spend / budget</th>
                  <th>Limits</th>
                  <th>Members</th>
                  <th>Status</th>
                  <th class="col-actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {teams.map((t) => (
                  <tr key={t.team_id} data-team={t.team_alias ?? t.team_id}>
                    <td class="card-title">
                      <button type="button" class="btn btn-ghost btn-sm strong" onClick={() => setModal({ kind: 'open', team: t })}>
                        {nameOf(t)}
                      </button>
                      <div class="mono small muted">{t.team_id}</div>
                    </td>
                    <td data-label="Models">
                      <ModelChips models={t.models} />
                    </td>
                    <td class="nowrap" data-label="Spend / budget">
                      <SpendCell s={t} />
                    </td>
                    <td class="nowrap small" data-label="Limits">
                      {limitsOf(t) ?? <span class="muted">none</span>}
                    </td>
                    <td data-label="Members">{t.members_with_roles.length}</td>
                    <td data-label="Status">{t.blocked ? <Badge tone="danger">Blocked</Badge> : <Badge tone="ok">Active</Badge>}</td>
                    <td class="col-actions">
                      <div class="row-actions">
                        <button type="button" class="btn btn-secondary btn-sm" onClick={() => setModal({ kind: 'open', team: t })}>
                          Members · keys
                        </button>
                        <button type="button" class="btn btn-secondary btn-sm" onClick={() => setModal({ kind: 'edit', team: t })}>
                          Edit
                        </button>
                        <button type="button" class="btn btn-secondary btn-sm" disabled={busy === t.team_id} onClick={() => toggleBlock(t)}>
                          {t.blocked ? 'Unblock' : 'Block'}
                        </button>
                        <button type="button" class="btn btn-danger-ghost btn-sm" onClick={() => setModal({ kind: 'delete', team: t })}>
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
      </Card>
      {(modal?.kind === 'create' || modal?.kind === 'edit') && (
        <TeamFormDialog
          target={modal.kind === 'edit' ? modal.team : undefined}
          onClose={close}
          onSaved={(t) => {
            toast(`${modal.kind === 'edit' ? 'Saved' : 'Created'} ${nameOf(t)}`);
            close();
            list.reload();
          }}
        />
      )}
      {modal?.kind === 'open' && <TeamDialog team={modal.team} onClose={close} onChanged={list.reload} />}
      {modal?.kind === 'delete' && (
        <DeleteWithKeys
          what="team"
          name={nameOf(modal.team)}
          onClose={close}
          onConfirm={async () => {
            await post('/team/delete', { team_ids: [modal.team.team_id] });
            toast(`Deleted ${nameOf(modal.team)}`);
            close();
            list.reload();
          }}
        />
      )}
    </>
  );
}

function TeamFormDialog({ target: t, onClose, onSaved }: { target?: Team; onClose: () => void; onSaved: (t: Team) => void }) {
  const models = useModelNames();
  const before = t ? scopeInitial(t, t.team_alias) : undefined;
  const form = useForm<ScopeForm>(before ?? scopeInitial(undefined, ''), validateScope);
  const save = async (f: ScopeForm) => {
    const body = scopeBody(f, before, !!models.data?.length, 'team_alias');
    if (t) onSaved((await post<{ data: Team }>('/team/update', { team_id: t.team_id, ...body })).data);
    else onSaved(await post<Team>('/team/new', body));
  };
  return (
    <FormDialog
      id={t ? 'edit-team' : 'create-team'}
      title={t ? `Edit team ${nameOf(t)}` : 'Create team'}
      submitLabel={t ? 'Save changes' : 'Create team'}
      busyLabel={t ? 'Saving…' : 'Creating…'}
      form={form}
      onClose={onClose}
      onSubmit={save}
    >
      <Input form={form} name="alias" inputName="team_alias" label="Alias" hint="A name people recognise, e.g. search-team." wide />
      <ScopeFields form={form} models={models} who="team" />
    </FormDialog>
  );
}

/** A team's members (add, remove) and its keys, read from /team/info. */
function TeamDialog({ team, onClose, onChanged }: { team: Team; onClose: () => void; onChanged: () => void }) {
  const info = useApi(() => get<{ team_info: Team; keys: Key[] }>('/team/info', { team_id: team.team_id }), [team.team_id]);
  const [who, setWho] = useState('');
  const [role, setRole] = useState('user');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      toast(done);
      info.reload();
      onChanged();
      return true;
    } catch (err) {
      setError(messageOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const add = async (e: Event) => {
    e.preventDefault();
    const id = who.trim();
    if (!id) return setError('Name a user id or email to add.');
    const member = { role, ...(id.includes('@') ? { user_email: id } : { user_id: id }) };
    if (await run(() => post('/team/member_add', { team_id: team.team_id, member }), `Added ${id}`)) setWho('');
  };
  const t = info.data?.team_info ?? team;
  return (
    <Dialog title={`Team ${nameOf(t)}`} wide onClose={onClose}>
      <ErrorBanner error={info.error ?? error} />
      <h3>Members</h3>
      {t.members_with_roles.length === 0 ? (
        <Empty>No members yet.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Members">
            <tbody>
              {t.members_with_roles.map((m) => (
                <tr key={`${m.user_id}-${m.user_email}`}>
                  <td>{m.user_id ?? m.user_email}</td>
                  <td>
                    <Badge>{m.role === 'admin' ? 'team admin' : 'member'}</Badge>
                  </td>
                  <td class="col-actions">
                    <button
                      type="button"
                      class="btn btn-danger-ghost btn-sm"
                      disabled={busy}
                      onClick={() =>
                        run(
                          () =>
                            post(
                              '/team/member_delete',
                              m.user_id ? { team_id: team.team_id, user_id: m.user_id } : { team_id: team.team_id, user_email: m.user_email },
                            ),
                          `Removed ${m.user_id ?? m.user_email}`,
                        )
                      }
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="toolbar" onSubmit={add} aria-label="Add member">
        <input
          class="input"
          name="member"
          placeholder="User id or email"
          aria-label="User id or email"
          value={who}
          onInput={(e) => setWho(e.currentTarget.value)}
        />
        <select class="input" aria-label="Role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          <option value="user">Member</option>
          <option value="admin">Team admin</option>
        </select>
        <button type="submit" class="btn btn-secondary" disabled={busy}>
          Add member
        </button>
      </form>
      <h3>Keys</h3>
      {info.loading && !info.data ? <Loading /> : <KeysOf keys={info.data?.keys ?? []} label="Team keys" />}
    </Dialog>
  );
}
