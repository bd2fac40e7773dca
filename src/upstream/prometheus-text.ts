/** What a vLLM server says about its own load, from its `/metrics`. */
export interface VllmLoad {
  /** `vllm:num_requests_waiting`, summed over engines. */
  waiting: number;
  /** `vllm:num_requests_running`, summed over engines. */
  running: number;
  /** `vllm:kv_cache_usage_perc` (0..1; older vLLM: `vllm:gpu_cache_usage_perc`), the fullest engine's. */
  kvCacheUsage: number;
}

const WAITING = 'vllm:num_requests_waiting';
const RUNNING = 'vllm:num_requests_running';
const KV = 'vllm:kv_cache_usage_perc';
const KV_OLD = 'vllm:gpu_cache_usage_perc';

/** The value of label `name` in a `{a="x",b="y"}` block (escapes as Prometheus writes them), or undefined. */
function labelValue(block: string, name: string): string | undefined {
  let i = 0;
  while (i < block.length) {
    const eq = block.indexOf('="', i);
    if (eq < 0) return undefined;
    const key = block.slice(i, eq).replace(/^[\s,{]+/, '');
    let j = eq + 2;
    let value = '';
    while (j < block.length && block[j] !== '"') {
      if (block[j] === '\\' && j + 1 < block.length) {
        j++;
        value += block[j] === 'n' ? '\n' : block[j];
      } else value += block[j];
      j++;
    }
    if (key === name) return value;
    i = j + 1;
  }
  return undefined;
}

/** Where the label block that starts at `open` ends (the index of its `}`), quotes respected. */
function blockEnd(line: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '}') return i;
  }
  return -1;
}

/**
 * Reads the three load gauges from Prometheus text exposition, keeping only samples whose
 * `model_name` is `model` (or that carry none). One pass over the lines; lines not starting with
 * `vllm:` cost a prefix check. Undefined when the text has none of the running/waiting gauges.
 */
export function parseVllmLoad(text: string, model: string): VllmLoad | undefined {
  const load: VllmLoad = { waiting: 0, running: 0, kvCacheUsage: 0 };
  let seen = false;
  let kvSeen = false;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (text.startsWith('vllm:', start)) {
      const line = text.slice(start, end);
      const brace = line.indexOf('{');
      const space = line.indexOf(' ');
      let name: string;
      let rest: string;
      if (brace >= 0 && (space < 0 || brace < space)) {
        const close = blockEnd(line, brace);
        if (close < 0) {
          start = end + 1;
          continue;
        }
        name = line.slice(0, brace);
        const served = labelValue(line.slice(brace + 1, close), 'model_name');
        rest = served === undefined || served === model ? line.slice(close + 1) : '';
      } else {
        name = line.slice(0, space < 0 ? line.length : space);
        rest = space < 0 ? '' : line.slice(space);
      }
      const value = Number(rest.trim().split(/\s+/)[0]);
      if (rest !== '' && Number.isFinite(value)) {
        switch (name) {
          case WAITING:
            load.waiting += value;
            seen = true;
            break;
          case RUNNING:
            load.running += value;
            seen = true;
            break;
          case KV:
            // The current name wins over the deprecated one, whichever comes first.
            load.kvCacheUsage = kvSeen ? Math.max(load.kvCacheUsage, value) : value;
            kvSeen = true;
            break;
          case KV_OLD:
            if (!kvSeen) load.kvCacheUsage = Math.max(load.kvCacheUsage, value);
            break;
        }
      }
    }
    start = end + 1;
  }
  return seen ? load : undefined;
}
