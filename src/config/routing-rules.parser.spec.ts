import { describe, expect, it } from 'vitest';
import { errorOf, model, parse } from '../../test/helpers/config.js';

describe('LiteLLM config parity: fallbacks, model_group_alias, weight/order, prices, access groups, unsupported settings', () => {
  it('reads fallbacks from litellm_settings, router_settings winning; default_fallbacks become the generic "*" entry', () => {
    const cfg = parse({
      model_list: [model('gemma'), model('qwen')],
      litellm_settings: { fallbacks: [{ gemma: ['old'] }], default_fallbacks: ['qwen'], context_window_fallbacks: [{ gemma: ['big'] }] },
      router_settings: { fallbacks: [{ gemma: ['qwen'] }, { gemma: ['ignored'] }], max_fallbacks: 2 },
    });
    expect([...cfg.rules.fallbacks]).toEqual([
      ['gemma', ['qwen']],
      ['*', ['qwen']],
    ]);
    expect([...cfg.rules.contextWindowFallbacks]).toEqual([['gemma', ['big']]]);
    expect(cfg.rules.maxFallbacks).toBe(2);
    expect(cfg.rules.enforceFallbackModelAccess).toBe(false);
  });

  it('defaults: no fallbacks, LiteLLM max_fallbacks 5, no aliases, nothing unsupported', () => {
    const cfg = parse({ model_list: [model('gemma')] });
    expect(cfg.rules.fallbacks.size + cfg.rules.contextWindowFallbacks.size + cfg.rules.modelGroupAlias.size).toBe(0);
    expect(cfg.rules.maxFallbacks).toBe(5);
    expect(cfg.unsupported).toEqual([]);
  });

  it('reads model_group_alias in both forms', () => {
    const cfg = parse({ router_settings: { model_group_alias: { 'gpt-4': 'gemma', hidden: { model: 'gemma', hidden: true } } } });
    expect(cfg.rules.modelGroupAlias.get('gpt-4')).toEqual({ target: 'gemma', hidden: false });
    expect(cfg.rules.modelGroupAlias.get('hidden')).toEqual({ target: 'gemma', hidden: true });
  });

  it('reads weight, order, access groups, and prices from litellm_params before model_info', () => {
    const cfg = parse({
      model_list: [
        model('a', { weight: 3, order: 1, input_cost_per_token: 1e-6 }, { input_cost_per_token: 9, output_cost_per_token: 2e-6, access_groups: ['beta'] }),
        model('b'),
      ],
    });
    expect(cfg.deployments[0]).toMatchObject({ weight: 3, order: 1, inputCostPerToken: 1e-6, outputCostPerToken: 2e-6, accessGroups: ['beta'] });
    expect(cfg.deployments[1]).toMatchObject({ weight: undefined, order: undefined, inputCostPerToken: 0, outputCostPerToken: 0, accessGroups: [] });
  });

  it('names every setting it does not implement, and takes simple-shuffle for a LiteLLM strategy it lacks', () => {
    const cfg = parse({
      model_list: [model('a', { vertex_project: 'p', weight: 1 }), { ...model('b'), tpm_extra: 1 }],
      litellm_settings: { success_callback: ['langfuse'], num_retries: 1 },
      router_settings: { routing_strategy: 'cost-based-routing', redis_host: 'r' },
      general_settings: { alerting: ['slack'], master_key: 'sk-x' },
      environment_variables: { A: 'b' },
    });
    expect(cfg.router.routingStrategy).toBe('simple-shuffle');
    expect(cfg.unsupported).toEqual([
      'environment_variables',
      'litellm_settings.success_callback',
      'router_settings.redis_host',
      'general_settings.alerting',
      'model_list[0].litellm_params.vertex_project',
      'model_list[1].tpm_extra',
      'router_settings.routing_strategy=cost-based-routing (simple-shuffle used)',
    ]);
  });

  it.each([
    ['fallbacks not a list', { litellm_settings: { fallbacks: { gemma: 'qwen' } } }, 'litellm_settings.fallbacks: must be a list such as'],
    [
      'a fallback entry with two aliases',
      { router_settings: { fallbacks: [{ a: ['b'], c: ['d'] }] } },
      'router_settings.fallbacks[0]: must be a mapping of one',
    ],
    [
      'fallback targets not a list',
      { router_settings: { context_window_fallbacks: [{ a: 'b' }] } },
      'router_settings.context_window_fallbacks[0].a: must be a list',
    ],
    ['default_fallbacks not a list', { litellm_settings: { default_fallbacks: 'qwen' } }, 'litellm_settings.default_fallbacks: must be a list'],
    [
      'a model_group_alias without a model',
      { router_settings: { model_group_alias: { x: { hidden: true } } } },
      'router_settings.model_group_alias.x: must be',
    ],
    ['a negative weight', { model_list: [model('a', { weight: -1 })] }, 'model_list[0].litellm_params.weight: must be a number ≥ 0'],
    ['access_groups not a list', { model_list: [model('a', {}, { access_groups: 'beta' })] }, 'model_list[0].model_info.access_groups: must be a list'],
    [
      'a non-boolean enforce flag',
      { general_settings: { enforce_fallback_model_access: 'yes' } },
      'general_settings.enforce_fallback_model_access: must be true',
    ],
  ])('refuses %s', (_what, config, message) => {
    expect(errorOf(() => parse(config))).toContain(message);
  });
});
