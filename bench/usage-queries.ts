// Times the usage page's statements (src/spend/usage-sql.ts) on a database filled by bench/usage-data.sql:
//   psql -d <throwaway db> -v rows=10000000 -f bench/usage-data.sql   (after the migrations)
//   DATABASE_URL=postgres://…/<throwaway db> npx tsx bench/usage-queries.ts
import pg from 'pg';
import { flushSql } from '../src/spend/spend-sql.js';
import { byKeySql, byModelSql, byTeamSql, errorsSql, latencySql, seriesSql, type Statement, totalsSql, type UsageFilter } from '../src/spend/usage-sql.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL must name the throwaway benchmark database');
const client = new pg.Client({ connectionString: url });
await client.connect();
const [{ n }] = (await client.query('SELECT count(*)::bigint AS n FROM "LiteLLM_SpendLogs"')).rows;
const [{ h }] = (await client.query('SELECT count(*)::bigint AS h FROM "model_proxy_hourly_spend"')).rows;
const [{ token }] = (await client.query(`SELECT token FROM "LiteLLM_VerificationToken" WHERE key_alias = 'bench-key-7'`)).rows;

const now = Date.now();
const days = (d: number): UsageFilter => ({ start: new Date(now - d * 86_400_000), end: new Date(now) });
const cases: Array<[string, Statement]> = [
  ['totals, 30 days', totalsSql(days(30))],
  ['daily series, 30 days', seriesSql(days(30), 'day')],
  ['hourly series, 7 days, split by model', seriesSql(days(7), 'hour', 'model', ['model-0', 'model-1', 'model-2', 'model-3', 'model-4'])],
  ['by key, 30 days', byKeySql(days(30))],
  ['by team, 30 days', byTeamSql(days(30))],
  ['by model, 30 days', byModelSql(days(30))],
  ['totals, 30 days, one key', totalsSql({ ...days(30), apiKey: token })],
  ['latency p50/p90/p99, 30 days (newest 50k)', latencySql(days(30), 'day')],
  ['latency, 30 days, one key', latencySql({ ...days(30), apiKey: token }, 'day')],
  ['latency, 30 days, one team (no team index)', latencySql({ ...days(30), teamId: 'team-3' }, 'day')],
  ['latency, 1 day, hourly', latencySql(days(1), 'hour')],
  ['errors, 30 days', errorsSql(days(30))],
  ['errors, 1 day', errorsSql(days(1))],
  ['errors, 30 days, one model', errorsSql({ ...days(30), model: 'model-2' })],
];

console.log(`${Number(n).toLocaleString('en-US')} log rows, ${Number(h).toLocaleString('en-US')} hourly rollup rows; median of 5 runs after one warm-up\n`);
console.log('| query | rows | median ms |\n|---|---:|---:|');
for (const [name, s] of cases) {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 6; i++) {
    const t = performance.now();
    rows = (await client.query(s.sql, s.params)).rowCount ?? 0;
    if (i > 0) times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`| ${name} | ${rows} | ${times[2].toFixed(1)} |`);
}

// The spend writer's batch statement, with and without the hourly rollup's CTE: what keeping it costs.
const batch = (tag: string, n: number) =>
  JSON.stringify(
    Array.from({ length: n }, (_, i) => ({
      request_id: `flush-${tag}-${i}`,
      call_type: 'acompletion',
      api_key: md5ish(i % 20),
      spend: 0.0001,
      prompt_tokens: 200,
      completion_tokens: 50,
      start_ms: Date.now() - 500,
      end_ms: Date.now(),
      first_ms: Date.now() - 400,
      model: 'vendor/model-1',
      model_id: 'dep-1',
      model_group: `model-${i % 5}`,
      api_base: 'http://127.0.0.1:8000/v1',
      end_user: '',
      team_id: `team-${i % 5}`,
      status: 'success',
      metadata: { user_api_key_alias: 'bench', litellm_call_id: `c-${i}` },
    })),
  );
function md5ish(k: number): string {
  return k.toString(16).padStart(64, '0');
}
const withHourly = flushSql(true);
const withoutHourly = withHourly.replace(/\), hourly AS \([\s\S]*?RETURNING 1\n/, '');
if (withoutHourly === withHourly) throw new Error('could not take the hourly CTE out of the flush statement');
console.log('\n| flush of 500 rows | median ms (11 batches) |\n|---|---:|');
for (const [name, sql] of [
  ['with the hourly rollup', withHourly],
  ['without it (as before)', withoutHourly],
  ['with the hourly rollup (again)', withHourly],
] as const) {
  const times: number[] = [];
  for (let i = 0; i < 11; i++) {
    const t = performance.now();
    await client.query(sql, [batch(`${name}-${i}-${Date.now()}`, 500)]);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(`| ${name} | ${times[5].toFixed(1)} |`);
}
await client.query(`DELETE FROM "LiteLLM_SpendLogs" WHERE request_id LIKE 'flush-%'`);
await client.end();
