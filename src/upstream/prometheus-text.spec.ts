import { describe, expect, it } from 'vitest';
import { parseVllmLoad } from './prometheus-text.js';

const SCRAPE = `# HELP vllm:num_requests_running Number of requests in model execution batches.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="google/gemma-4-31b"} 3.0
vllm:num_requests_running{engine="1",model_name="google/gemma-4-31b"} 2.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{engine="0",model_name="google/gemma-4-31b"} 7.0
vllm:num_requests_waiting{engine="1",model_name="google/gemma-4-31b"} 1.0
vllm:num_requests_waiting{engine="0",model_name="other/model"} 100.0
# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{engine="0",model_name="google/gemma-4-31b"} 0.25
vllm:kv_cache_usage_perc{engine="1",model_name="google/gemma-4-31b"} 0.5
vllm:prompt_tokens_total{engine="0",model_name="google/gemma-4-31b"} 12345.0
python_gc_objects_collected_total{generation="0"} 123.0
`;

describe('parseVllmLoad', () => {
  it('sums running and waiting over the engines of the served model; KV cache is the fullest engine', () => {
    expect(parseVllmLoad(SCRAPE, 'google/gemma-4-31b')).toEqual({ running: 5, waiting: 8, kvCacheUsage: 0.5 });
  });

  it('ignores other models, and reads the pre-0.10 gpu_cache_usage_perc name', () => {
    const old = 'vllm:num_requests_running{model_name="m"} 1\nvllm:num_requests_waiting{model_name="m"} 0\nvllm:gpu_cache_usage_perc{model_name="m"} 0.75\n';
    expect(parseVllmLoad(old, 'm')).toEqual({ running: 1, waiting: 0, kvCacheUsage: 0.75 });
    expect(parseVllmLoad(SCRAPE, 'other/model')).toEqual({ running: 0, waiting: 100, kvCacheUsage: 0 });
  });

  it('takes samples without labels or with a timestamp, and label values holding quotes or braces', () => {
    const text = 'vllm:num_requests_running 2 1700000000000\nvllm:num_requests_waiting{model_name="a\\"}b",engine="0"} 4\n';
    expect(parseVllmLoad(text, 'a"}b')).toEqual({ running: 2, waiting: 4, kvCacheUsage: 0 });
  });

  it('is undefined for text without the load gauges (not a vLLM, or an error page)', () => {
    expect(parseVllmLoad('{"detail":"Not Found"}', 'm')).toBeUndefined();
    expect(parseVllmLoad('vllm:num_requests_running{model_name="m"} NaN-ish\n', 'm')).toBeUndefined();
  });
});
