import { describe, expect, it } from 'vitest';
import { BASE, errorOf, model, parse } from '../../test/helpers/config.js';
import { loadWorkers, parseProxyConfig } from './config.loader.js';

describe('parseProxyConfig', () => {
  it('reads a LiteLLM config: aliases, upstream ids, costs, per-deployment settings', () => {
    const cfg = parse({
      model_list: [
        model('gemma-4-31b', { timeout: 600, rpm: 600, tpm: 1000 }, { input_cost_per_token: 2e-7, output_cost_per_token: 8e-7 }),
        { model_name: 'qwen', litellm_params: { model: 'hosted_vllm/Qwen/Qwen3-8B', api_base: 'http://127.0.0.1:8124/v1/' } },
      ],
    });
    expect(cfg.deployments).toHaveLength(2);
    expect(cfg.deployments[0]).toMatchObject({
      modelName: 'gemma-4-31b',
      litellmModel: 'openai/google/gemma-4-31b',
      upstreamModel: 'google/gemma-4-31b',
      apiBase: BASE,
      timeoutMs: 600_000,
      rpm: 600,
      tpm: 1000,
      inputCostPerToken: 2e-7,
      outputCostPerToken: 8e-7,
      source: 'config',
    });
    expect(cfg.deployments[0].apiKey).toBeUndefined();
    expect(cfg.deployments[1]).toMatchObject({
      upstreamModel: 'Qwen/Qwen3-8B',
      apiBase: 'http://127.0.0.1:8124/v1',
      inputCostPerToken: 0,
      outputCostPerToken: 0,
    });
    expect(cfg.deployments[1].timeoutMs).toBeUndefined();
  });

  it('gives each deployment a stable id unless model_info.id sets one', () => {
    const a = parse({ model_list: [model('m')] }).deployments[0];
    const b = parse({ model_list: [model('m')] }).deployments[0];
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    expect(b.id).toBe(a.id);
    expect(parse({ model_list: [model('m', { api_base: 'http://127.0.0.1:9999/v1' })] }).deployments[0].id).not.toBe(a.id);
    const named = parse({ model_list: [model('m', {}, { id: 'gemma-a' })] }).deployments[0];
    expect(named.id).toBe('gemma-a');
    expect(named.modelInfo).toMatchObject({ id: 'gemma-a' });
  });

  it('uses the defaults for router settings when the sections are absent', () => {
    const cfg = parse({ model_list: [] });
    expect(cfg.deployments).toEqual([]);
    // No allowed_fails: cooldown by failure rate; cooldown_time is LiteLLM's default of 5 s.
    expect(cfg.router).toEqual({ routingStrategy: 'simple-shuffle', cooldownTimeSec: 5, numRetries: 2, requestTimeoutMs: 600_000, load: expect.any(Object) });
    expect(cfg.router.load).toEqual({
      lowestLatencyBuffer: 0,
      latencyTtlSec: 3600,
      vllmMetricsIntervalSec: 1,
      sessionAffinity: false,
      sessionAffinityHeader: undefined,
      sessionAffinityMaxImbalance: 4,
      backgroundHealthChecks: false,
      healthCheckIntervalSec: 300,
    });
    expect(cfg.router.allowedFails).toBeUndefined();
    expect(cfg.masterKey).toBeUndefined();
  });

  it('treats an empty file as an empty config', () => {
    expect(parseProxyConfig('', {}).deployments).toEqual([]);
    expect(parseProxyConfig('# only a comment\n', {}).router.routingStrategy).toBe('simple-shuffle');
  });

  it('reads router and litellm settings; router_settings.num_retries wins over litellm_settings', () => {
    const cfg = parse({
      model_list: [],
      litellm_settings: { request_timeout: 30, num_retries: 5 },
      router_settings: { routing_strategy: 'least-busy', allowed_fails: 1, cooldown_time: 0 },
    });
    expect(cfg.router).toMatchObject({ routingStrategy: 'least-busy', allowedFails: 1, cooldownTimeSec: 0, numRetries: 5, requestTimeoutMs: 30_000 });
    expect(parse({ litellm_settings: { num_retries: 5 }, router_settings: { num_retries: 1 } }).router.numRetries).toBe(1);
  });

  it('reads the load-aware settings: strategy args, vLLM metrics, session affinity and background health checks', () => {
    const cfg = parse({
      router_settings: {
        routing_strategy: 'latency-based-routing',
        routing_strategy_args: { lowest_latency_buffer: 0.5, ttl: 60 },
        vllm_metrics_interval: 0.5,
        session_affinity: true,
        session_affinity_header: 'X-Session-Id',
        session_affinity_max_imbalance: 2,
      },
      general_settings: { background_health_checks: true, health_check_interval: 10 },
    });
    expect(cfg.router.routingStrategy).toBe('latency-based-routing');
    expect(cfg.router.load).toEqual({
      lowestLatencyBuffer: 0.5,
      latencyTtlSec: 60,
      vllmMetricsIntervalSec: 0.5,
      sessionAffinity: true,
      sessionAffinityHeader: 'x-session-id',
      sessionAffinityMaxImbalance: 2,
      backgroundHealthChecks: true,
      healthCheckIntervalSec: 10,
    });
    expect(parse({ router_settings: { routing_strategy: 'usage-based-routing-v2' } }).router.routingStrategy).toBe('usage-based-routing-v2');
  });

  it("allowed_fails equal to LiteLLM's default 3 keeps the failure-rate rules, as in LiteLLM", () => {
    expect(parse({ router_settings: { allowed_fails: 3 } }).router.allowedFails).toBeUndefined();
    expect(parse({ router_settings: { allowed_fails: 0 } }).router.allowedFails).toBe(0);
  });

  it("reads allowed_fails_policy, default_max_parallel_requests and a deployment's max_parallel_requests", () => {
    const cfg = parse({
      model_list: [model('m', { max_parallel_requests: 4 })],
      router_settings: { allowed_fails_policy: { InternalServerErrorAllowedFails: 2, BadRequestErrorAllowedFails: 9 }, default_max_parallel_requests: 8 },
    });
    expect(cfg.router.allowedFailsPolicy).toEqual({ InternalServerErrorAllowedFails: 2 });
    expect(cfg.router.defaultMaxParallelRequests).toBe(8);
    expect(cfg.deployments[0].maxParallelRequests).toBe(4);
    expect(() => parse({ router_settings: { allowed_fails_policy: { NopeAllowedFails: 1 } } })).toThrow(/allowed_fails_policy\.NopeAllowedFails: unknown/);
    expect(() => parse({ model_list: [model('m', { max_parallel_requests: 0 })] })).toThrow(/max_parallel_requests: must be a whole number ≥ 1/);
  });

  describe('os.environ/NAME', () => {
    it('resolves references in deployments, settings and the master key', () => {
      const env = { VLLM_KEY: 'secret-upstream', VLLM_BASE: 'http://10.0.0.2:8000/v1', MK: 'sk-from-env', TIMEOUT: '12', FAILS: '7' };
      const cfg = parse(
        {
          model_list: [model('m', { api_key: 'os.environ/VLLM_KEY', api_base: 'os.environ/VLLM_BASE', timeout: 'os.environ/TIMEOUT' })],
          general_settings: { master_key: 'os.environ/MK' },
          router_settings: { allowed_fails: 'os.environ/FAILS' },
        },
        env,
      );
      expect(cfg.deployments[0]).toMatchObject({ apiKey: 'secret-upstream', apiBase: 'http://10.0.0.2:8000/v1', timeoutMs: 12_000 });
      expect(cfg.masterKey).toBe('sk-from-env');
      expect(cfg.router.allowedFails).toBe(7);
    });

    it.each([
      [{ model_list: [model('m', { api_key: 'os.environ/MISSING_X' })] }, 'model_list[0].litellm_params.api_key'],
      [{ model_list: [model('a'), model('b', { api_base: 'os.environ/MISSING_X' })] }, 'model_list[1].litellm_params.api_base'],
      [{ model_list: [model('m', {}, { input_cost_per_token: 'os.environ/MISSING_X' })] }, 'model_list[0].model_info.input_cost_per_token'],
      [{ general_settings: { master_key: 'os.environ/MISSING_X' } }, 'general_settings.master_key'],
      [{ router_settings: { cooldown_time: 'os.environ/MISSING_X' } }, 'router_settings.cooldown_time'],
    ])('an unset variable names itself and the path %#', (config, path) => {
      const message = errorOf(() => parse(config, { OTHER: 'x' }));
      expect(message).toBe(`${path}: environment variable MISSING_X is not set (referenced as os.environ/MISSING_X)`);
    });

    it('treats an empty variable as unset', () => {
      expect(errorOf(() => parse({ model_list: [model('m', { api_key: 'os.environ/EMPTY' })] }, { EMPTY: '' }))).toMatch(
        /^model_list\[0\]\.litellm_params\.api_key: environment variable EMPTY is not set/,
      );
    });

    it('never puts a value read from the environment in a message', () => {
      const env = { K: 'user:very-secret-value@10.0.0.2' };
      for (const config of [
        { model_list: [model('m', { timeout: 'os.environ/K' })] },
        { model_list: [model('m', { api_base: 'os.environ/K' })] },
        { router_settings: { allowed_fails: 'os.environ/K' } },
      ]) {
        const message = errorOf(() => parse(config, env));
        expect(message).toMatch(/: must be .*, got the value of os\.environ\/K$/);
        expect(message).not.toContain('very-secret-value');
      }
    });
  });

  describe('says what is wrong and where', () => {
    it('reports unparsable YAML with line and column', () => {
      const message = errorOf(() => parseProxyConfig('model_list:\n  - model_name: a\n    litellm_params: [open\n', {}));
      expect(message).toMatch(/^invalid YAML at line \d+, column \d+: \S.*[^:]$/);
      expect(message).not.toContain('\n');
    });

    it.each<[string, unknown, string]>([
      ['a top level that is not a mapping', ['a', 'b'], 'the top level must be a mapping with model_list'],
      ['model_list not a list', { model_list: { a: 1 } }, 'model_list: must be a list of models'],
      ['an entry not a mapping', { model_list: [model('a'), 'b'] }, 'model_list[1]: must be a mapping with model_name and litellm_params'],
      [
        'a missing model_name',
        { model_list: [{ litellm_params: { model: 'openai/x', api_base: BASE } }] },
        'model_list[0].model_name: required, a non-empty string',
      ],
      ['a blank model_name', { model_list: [{ ...model('a'), model_name: '  ' }] }, 'model_list[0].model_name: required, a non-empty string'],
      ['missing litellm_params', { model_list: [{ model_name: 'a' }] }, 'model_list[0].litellm_params: required, a mapping with model and api_base'],
      [
        'a missing model',
        { model_list: [{ model_name: 'a', litellm_params: { api_base: BASE } }] },
        'model_list[0].litellm_params.model: required, e.g. "openai/google/gemma-4-31b"',
      ],
      [
        'a provider that is not vLLM',
        { model_list: [model('a', { model: 'anthropic/claude' })] },
        'model_list[0].litellm_params.model: must be "openai/<model id served by vLLM>" (or "hosted_vllm/<id>"), got "anthropic/claude"',
      ],
      [
        'a bare provider prefix',
        { model_list: [model('a', { model: 'openai/' })] },
        'model_list[0].litellm_params.model: must be "openai/<model id served by vLLM>" (or "hosted_vllm/<id>"), got "openai/"',
      ],
      [
        'a missing api_base',
        { model_list: [{ model_name: 'a', litellm_params: { model: 'openai/x' } }] },
        'model_list[0].litellm_params.api_base: required, e.g. "http://127.0.0.1:8123/v1"',
      ],
      [
        'an api_base that is not a URL',
        { model_list: [model('a'), model('b', { api_base: 'not a url' })] },
        'model_list[1].litellm_params.api_base: must be an http(s) URL such as http://127.0.0.1:8123/v1, got "not a url"',
      ],
      [
        'an api_base that is not http(s)',
        { model_list: [model('a', { api_base: 'ftp://h/v1' })] },
        'model_list[0].litellm_params.api_base: must be an http(s) URL, got "ftp://h/v1"',
      ],
      ['an api_key that is not a string', { model_list: [model('a', { api_key: 42 })] }, 'model_list[0].litellm_params.api_key: must be a string'],
      ['a negative timeout', { model_list: [model('a', { timeout: -1 })] }, 'model_list[0].litellm_params.timeout: must be a number ≥ 0, got -1'],
      ['a non-numeric rpm', { model_list: [model('a', { rpm: 'lots' })] }, 'model_list[0].litellm_params.rpm: must be a number ≥ 0, got "lots"'],
      ['a blank tpm', { model_list: [model('a', { tpm: '' })] }, 'model_list[0].litellm_params.tpm: must be a number ≥ 0, got ""'],
      ['model_info not a mapping', { model_list: [{ ...model('a'), model_info: [1] }] }, 'model_list[0].model_info: must be a mapping'],
      [
        'a bad cost',
        { model_list: [model('a', {}, { output_cost_per_token: 'free' })] },
        'model_list[0].model_info.output_cost_per_token: must be a number ≥ 0, got "free"',
      ],
      [
        'a duplicate model_info.id',
        { model_list: [model('a', {}, { id: 'x' }), model('b', {}, { id: 'y' }), model('c', {}, { id: 'x' })] },
        'model_list[2].model_info.id: duplicates model_list[0] ("x")',
      ],
      ['a settings section that is not a mapping', { litellm_settings: 'fast' }, 'litellm_settings: must be a mapping'],
      ['router_settings not a mapping', { router_settings: [1] }, 'router_settings: must be a mapping'],
      [
        'a routing strategy LiteLLM does not have',
        { router_settings: { routing_strategy: 'fastest' } },
        'router_settings.routing_strategy: must be one of simple-shuffle, least-busy, usage-based-routing, usage-based-routing-v2, latency-based-routing, cost-based-routing, got "fastest"',
      ],
      [
        'routing_strategy_args not a mapping',
        { router_settings: { routing_strategy_args: 3 } },
        'router_settings.routing_strategy_args: must be a mapping such as { lowest_latency_buffer: 0.5, ttl: 3600 }',
      ],
      ['a bad session_affinity', { router_settings: { session_affinity: 'sometimes' } }, 'router_settings.session_affinity: must be true or false'],
      [
        'a bad session_affinity_header',
        { router_settings: { session_affinity_header: 'x session' } },
        'router_settings.session_affinity_header: must be a header name such as x-session-id',
      ],
      [
        'a bad health_check_interval',
        { general_settings: { health_check_interval: 'often' } },
        'general_settings.health_check_interval: must be a number ≥ 0, got "often"',
      ],
      ['a negative allowed_fails', { router_settings: { allowed_fails: -2 } }, 'router_settings.allowed_fails: must be a number ≥ 0, got -2'],
      ['a blank cooldown_time', { router_settings: { cooldown_time: '' } }, 'router_settings.cooldown_time: must be a number ≥ 0, got ""'],
      ['a non-numeric num_retries', { router_settings: { num_retries: 'twice' } }, 'router_settings.num_retries: must be a number ≥ 0, got "twice"'],
      [
        'a non-numeric request_timeout',
        { litellm_settings: { request_timeout: 'long' } },
        'litellm_settings.request_timeout: must be a number ≥ 0, got "long"',
      ],
      ['a master_key that is not a string', { general_settings: { master_key: 1234 } }, 'general_settings.master_key: must be a string'],
    ])('%s', (_, config, message) => {
      expect(errorOf(() => parse(config))).toBe(message);
    });
  });
});

describe('loadWorkers', () => {
  it('is 1 (one process) unless WORKERS says otherwise', () => {
    expect(loadWorkers({})).toBe(1);
    expect(loadWorkers({ WORKERS: '' })).toBe(1);
    expect(loadWorkers({ WORKERS: '4' })).toBe(4);
    expect(loadWorkers({ WORKERS: '64' })).toBe(64);
  });

  it('refuses anything but a whole number from 1 to 64, naming WORKERS', () => {
    for (const bad of ['abc', '0', '65', '2.5', '-1']) {
      expect(errorOf(() => loadWorkers({ WORKERS: bad }))).toBe(`WORKERS: must be a whole number from 1 to 64, got "${bad}"`);
    }
  });
});
