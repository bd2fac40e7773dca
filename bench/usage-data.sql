-- Test data for the usage-page query timings in BENCHMARKS.md (run in a throwaway database after the
-- migrations): :rows spend log rows over the last 30 days, 50 keys in 5 teams, 5 model aliases, 3% failures
-- with status codes; then the hourly rollup rebuilt from them, as the spend writer would have kept it.
INSERT INTO "LiteLLM_VerificationToken" (token, key_name, key_alias, team_id)
SELECT md5('bench-key-' || k) || md5('x' || k), 'sk-...' || lpad(k::text, 4, '0'), 'bench-key-' || k, 'team-' || (k % 5)
FROM generate_series(1, 50) k ON CONFLICT DO NOTHING;

INSERT INTO "LiteLLM_SpendLogs" (request_id, call_type, api_key, spend, prompt_tokens, completion_tokens, total_tokens,
  "startTime", "endTime", "completionStartTime", request_duration_ms, model, model_group, team_id, status, metadata)
SELECT 'bench-' || i, 'acompletion', md5('bench-key-' || (i % 50 + 1)) || md5('x' || (i % 50 + 1)), 0.0001 * (i % 97), 200 + i % 300, 50 + i % 200, 250 + i % 300 + i % 200,
  t, t + make_interval(secs => (200 + (i * 7919) % 3000) / 1000.0), t + make_interval(secs => (40 + (i * 104729) % 600) / 1000.0),
  200 + (i * 7919) % 3000, 'vendor/model-' || (i % 5), 'model-' || (i % 5), 'team-' || ((i % 50 + 1) % 5),
  CASE WHEN i % 33 = 0 THEN 'failure' ELSE 'success' END,
  CASE WHEN i % 33 = 0 THEN jsonb_build_object('status_code', (ARRAY[502, 503, 408, 500])[i % 4 + 1], 'error_type', (ARRAY['upstream_error', 'service_unavailable', 'timeout', 'upstream_error'])[i % 4 + 1])
       ELSE '{}'::jsonb END
FROM (SELECT i, now() - make_interval(secs => (i::float8 / :rows) * 30 * 86400) AS t FROM generate_series(1::bigint, :rows) i) g;

TRUNCATE "model_proxy_hourly_spend";
INSERT INTO "model_proxy_hourly_spend" (hour, api_key, team_id, model_group, prompt_tokens, completion_tokens, spend, requests, failed_requests)
SELECT date_trunc('hour', "startTime"), api_key, team_id, model_group, sum(prompt_tokens), sum(completion_tokens), sum(spend), count(*),
  count(*) FILTER (WHERE status = 'failure')
FROM "LiteLLM_SpendLogs" GROUP BY 1, 2, 3, 4;
ANALYZE;
