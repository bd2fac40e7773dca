import { useEffect, useState } from 'preact/hooks';
import type { Usage } from '../api';
import { daysAgo } from '../format';
import { setQuery } from '../router';
import { keyLabel, MASTER } from '../usage';

export const DATE = /^\d{4}-\d{2}-\d{2}$/;
const PRESETS: Array<[number, string]> = [
  [1, 'Today'],
  [7, '7 days'],
  [30, '30 days'],
  [90, '90 days'],
];
/** Hourly series cover at most this many days (the API's bound). */
export const MAX_HOURLY_DAYS = 31;

export interface Filters {
  from: string;
  to: string;
  key: string;
  team: string;
  model: string;
  granularity: 'hour' | 'day';
  split: '' | 'api_key' | 'team_id' | 'model';
}

export const spanDays = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;

export function filtersOf(query: URLSearchParams): Filters {
  const to = DATE.test(query.get('to') ?? '') ? query.get('to')! : daysAgo(0);
  const from = DATE.test(query.get('from') ?? '') ? query.get('from')! : daysAgo(29);
  const asked = query.get('granularity');
  const granularity = asked === 'hour' || asked === 'day' ? asked : spanDays(from, to) <= 2 ? 'hour' : 'day';
  const split = query.get('split');
  return {
    from,
    to,
    key: query.get('key') ?? '',
    team: query.get('team') ?? '',
    model: query.get('model') ?? '',
    granularity: granularity === 'hour' && spanDays(from, to) > MAX_HOURLY_DAYS ? 'day' : granularity,
    split: split === 'api_key' || split === 'team_id' || split === 'model' ? split : '',
  };
}

/** Range, key, team, model, granularity and split: everything on the page follows them (and the URL keeps them). */
export function FilterBar({ f, options }: { f: Filters; options?: Usage }) {
  const [custom, setCustom] = useState({ from: f.from, to: f.to });
  // Follow the URL when it changes underneath (back button, presets).
  useEffect(() => setCustom({ from: f.from, to: f.to }), [f.from, f.to]);
  const preset = f.to === daysAgo(0) ? PRESETS.find(([n]) => f.from === daysAgo(n - 1))?.[0] : undefined;
  const keys = (options?.by_key ?? []).filter((k) => k.api_key !== MASTER);
  const teams = (options?.by_team ?? []).filter((t) => t.team_id);
  const models = (options?.by_model ?? []).filter((m) => m.model);
  const hourlyOk = spanDays(f.from, f.to) <= MAX_HOURLY_DAYS;
  const pick = (changes: Record<string, string | undefined>) => setQuery({ ...changes, page: undefined });
  return (
    <div class="filters">
      <form
        class="range"
        onSubmit={(e) => {
          e.preventDefault();
          if (custom.from && custom.to && custom.from <= custom.to) pick({ from: custom.from, to: custom.to });
        }}
      >
        <div class="segmented" role="group" aria-label="Date range">
          {PRESETS.map(([n, label]) => (
            <button
              key={n}
              type="button"
              class={preset === n ? 'active' : ''}
              aria-pressed={preset === n}
              onClick={() => pick({ from: daysAgo(n - 1), to: undefined, granularity: undefined })}
            >
              {label}
            </button>
          ))}
        </div>
        <div class="range-custom">
          <input
            class="input input-sm"
            type="date"
            aria-label="From"
            value={custom.from}
            max={custom.to}
            onInput={(e) => setCustom({ ...custom, from: e.currentTarget.value })}
          />
          <span class="muted">–</span>
          <input
            class="input input-sm"
            type="date"
            aria-label="To"
            value={custom.to}
            min={custom.from}
            onInput={(e) => setCustom({ ...custom, to: e.currentTarget.value })}
          />
          <button class="btn btn-secondary btn-sm" type="submit">
            Apply
          </button>
        </div>
      </form>
      <div class="toolbar toolbar-tight">
        <select class="input input-sm" aria-label="Filter by key" value={f.key} onChange={(e) => pick({ key: e.currentTarget.value })}>
          <option value="">All keys</option>
          {f.key && !keys.some((k) => k.api_key === f.key) && <option value={f.key}>{keyLabel(f.key, undefined)}</option>}
          {keys.map((k) => (
            <option key={k.api_key} value={k.api_key}>
              {keyLabel(k.api_key, k)}
            </option>
          ))}
        </select>
        <select class="input input-sm" aria-label="Filter by team" value={f.team} onChange={(e) => pick({ team: e.currentTarget.value })}>
          <option value="">All teams</option>
          {f.team && !teams.some((t) => t.team_id === f.team) && <option value={f.team}>{f.team}</option>}
          {teams.map((t) => (
            <option key={t.team_id} value={t.team_id!}>
              {t.team_alias || t.team_id}
            </option>
          ))}
        </select>
        <select class="input input-sm" aria-label="Filter by model" value={f.model} onChange={(e) => pick({ model: e.currentTarget.value })}>
          <option value="">All models</option>
          {f.model && !models.some((m) => m.model === f.model) && <option value={f.model}>{f.model}</option>}
          {models.map((m) => (
            <option key={m.model} value={m.model!}>
              {m.model}
            </option>
          ))}
        </select>
        <div class="segmented" role="group" aria-label="Granularity">
          {(['hour', 'day'] as const).map((g) => (
            <button
              key={g}
              type="button"
              class={f.granularity === g ? 'active' : ''}
              aria-pressed={f.granularity === g}
              disabled={g === 'hour' && !hourlyOk}
              title={g === 'hour' && !hourlyOk ? `Hourly covers at most ${MAX_HOURLY_DAYS} days` : undefined}
              onClick={() => pick({ granularity: g })}
            >
              {g === 'hour' ? 'Hourly' : 'Daily'}
            </button>
          ))}
        </div>
        <select class="input input-sm" aria-label="Series per" value={f.split} onChange={(e) => pick({ split: e.currentTarget.value })}>
          <option value="">One series</option>
          <option value="api_key">Per key</option>
          <option value="team_id">Per team</option>
          <option value="model">Per model</option>
        </select>
        {(f.key || f.team || f.model) && (
          <button type="button" class="btn btn-ghost btn-sm" onClick={() => pick({ key: undefined, team: undefined, model: undefined })}>
            Clear filters
          </button>
        )}
      </div>
    </div>
  );
}
