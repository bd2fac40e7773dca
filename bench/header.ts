// The text above the first section of BENCHMARKS.md, refreshed by every run that writes there.

export const HEADER = `# Benchmarks

How fast the \`/v1\` hot path is next to what Node itself can do on the same machine. Not a test, and
not run by CI.

## How to run

\`npm run bench\` (10 s measured per cell after a 2 s warm-up; \`npm run bench -- --quick\`: 3 s after
1 s; about 5 minutes in all, 3 times that with \`--repeat 3\`). Needs PostgreSQL at \`DATABASE_URL\`
(default postgres://postgres@127.0.0.1:5432/postgres; each proxy gets a fresh database
\`mp_bench_<ts>\`, dropped afterwards). Run it on a quiet machine: check \`uptime\` first.

It builds the app if \`dist/\` is missing (\`-- --build\` forces it), copies the build aside, and
starts, each as its own process so nothing shares the generator's event loop:

- the mock vLLM (\`bench/mock.ts\`);
- the bare pass-through (\`bench/passthrough.ts\`: node:http + one undici pool, the floor);
- the proxy (\`node dist/src/main.js\`) as in production: default log level (a JSON line per
  request) with its stdout and stderr going to a file, and spend logged for every request;
- a second proxy whose config sets \`general_settings.disable_spend_logs: true\` (key spend still
  booked, no \`LiteLLM_SpendLogs\` rows), on its own database.

The same closed-loop load (\`bench/load.ts\`: undici, every latency kept at µs resolution) then goes
straight to the mock, through the pass-through, through the proxy with the master key and with a
virtual key minted by \`POST /key/generate\`, and through the second proxy with a virtual key minted
on it. Every target is first primed (one warm-up period at 50 connections, plain and streaming),
then each cell has its own warm-up before it is measured. A full run replaces "Latest run" below.

Scenarios: non-streaming chat completions (16 tokens) at 1 and at 50 connections; streaming (8 tokens
5 ms apart, the first chunk at once) at 50 connections, and at 1 for a time to first token free of
queueing. TTFT is the time from sending the request to the first chunk of the response body.

Options:

- \`--duration S\`, \`--warmup S\`;
- \`--repeat K\`: each cell K times, interleaved; reported: the median of the runs that other
  processes left alone. Use it when the machine is noisy;
- \`--scenarios 1,50,stream50,stream1\`, \`--targets direct,passthrough,proxy,proxy-vkey,proxy-nospend\`:
  partial runs print but do not write here;
- \`--profile\`: the proxies under \`node --cpu-prof\`; prints their hottest functions inside the
  measured windows, mapped to \`src/\` lines; does not write here;
- \`--rss-soak N\`: instead of the matrix, N requests through the proxy with a virtual key at 50
  connections, 1 in 10 streamed, RSS sampled every 10 s; replaces "Latest RSS soak" and the RSS row
  of the checklist;
- \`--money-soak [--soak-minutes N]\` (default 10; about N + 1.5 minutes in all): issue 11's soak. 20
  connections, each with its own virtual key whose \`max_budget\` runs out part-way for about half of
  them, paced to 10 requests/s each: chat, streams with \`include_usage\`, streams the client aborts
  after 3 chunks, embeddings. The soak's own embedded PostgreSQL is stopped and started at 30% of the
  run; the proxy is SIGKILLed and restarted on the same \`PROXY_DATA_DIR\` at 65%. Reports requests
  by outcome and the spend in the database (rows, key spend) against what the clients were told
  (the usage in each answer × the prices), to the cent and exactly, per key and in total, and any
  key served past its budget; replaces "Latest money soak". Figures, not assertions;
- \`--chaos-soak [--soak-minutes N]\` (about N + 2 minutes in all): issue 12's soak. A baseline of
  120 well-behaved clients alone (N/5 minutes, 20–60 s), then 200 clients: the 120, 27 that read
  slowly, 8 that stop reading a 30,000-token stream for 20 s (more than the socket buffers hold), 20 that leave mid-stream, 10 sending bodies over
  \`MAX_REQUEST_BODY_BYTES\` (set to 1 MiB), 15 sending JSON nested 20,000 deep (raw sockets, each
  with its own \`max_parallel_requests: 1\` key). One of the alias's two mock backends is SIGKILLed
  and restarted; the soak's own redis-server (\`REDIS_URL\`) and embedded PostgreSQL each restart
  once. Reports outcomes, the well-behaved clients' p50/p99 against the baseline, proxy RSS over
  time, \`model_proxy_in_flight_requests\` at the end and whether every bad client's key still
  serves, and the backends' completed vs aborted counts; replaces "Latest chaos soak". Neither soak
  touches the machine's PostgreSQL or Redis;
- \`--no-write\`;
- environment \`BENCH_LOG_LEVEL=error\`: the proxies at that log level instead of info, to measure
  what the per-request log line costs (the run then says its logging is not production's);
- environment \`BENCH_PROXY_ENV\`: settings for the proxies, space-separated (say \`SPEND_FLUSH_MS=20\`);
- environment \`BENCH_NODE_FLAGS\`: Node flags for the proxies (say \`--max-semi-space-size=4\`); without
  it they run with production's flags (those of \`npm run start:prod\`; no \`--enable-source-maps\`), and these come after them.

On a machine shared with other work, req/s moves with the neighbours. \`npx tsx bench/cpu-ab.ts --a
DIR_A --b DIR_B [--flags-b=...] [--rounds 5] [--stream]\` compares two copies of \`dist/\` (or one
under two sets of Node flags) by the CPU each proxy process spends per request, beside the
pass-through, all three running at once and measured in rotated rounds; it prints per-round and
median figures and each proxy's RSS. A change's cost or saving reads better there than in req/s.

## Targets

| what | target | issue |
| --- | --- | --- |
| proxy req/s at 50 connections | ≥ 60% of the pass-through's | 3 |
| added p50 latency at 1 connection | ≤ 0.5 ms | 3 |
| added time to first token | ≤ 1 ms | 3 |
| proxy RSS after a million requests | flat (the second half's lowest sample ≤ 10 MB above the first half's), ≤ 150 MB | 3 |
| virtual key vs master key | the same cost (read as: req/s within 10%) | 4 |
| proxy req/s, spend logs on vs off | under 10% apart | 5 |

The checklist judges the production configuration: the proxy with a virtual key and spend logs on.

Read the figures with the machine in mind. The load generator, the mock, the pass-through or the
proxy, and PostgreSQL share its cores, so at 50 connections everything is CPU-bound and the
generator's own cost is in every number: the ratios between targets measured in the same run mean
more than the absolute figures. CPU columns are % of one core: "db" is the PostgreSQL backends of
the proxy's database (its spend batches), "other" what the rest of the machine used meanwhile
(PostgreSQL's shared WAL writer, the kernel, anything else running): a cell where it passed half a
core is marked ⚠ and is noise.
`;
