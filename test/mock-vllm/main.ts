// Starts the mock vLLM by hand:
//   tsx test/mock-vllm/main.ts --port 8123 --model google/gemma-4-31b [--ttft-ms N] [--inter-token-ms N]
//     [--api-key K] [--host H] [--embedding-dims N] [--max-model-len N] [--max-num-seqs N] [--slowdown F]
// Steer it with curl: POST /mock/fault {"fault":"500","count":1}, POST /mock/latency, POST /mock/reset,
// POST /mock/load {"waiting":50} (added to what GET /metrics reports), POST /mock/health {"status":503}, GET /mock/requests.

import { parseArgs } from 'node:util';
import { startMockVllm } from './mock-vllm.js';

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`--${name} must be a number >= 0, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8123' },
    host: { type: 'string', default: '127.0.0.1' },
    model: { type: 'string', default: 'google/gemma-4-31b' },
    'ttft-ms': { type: 'string' },
    'inter-token-ms': { type: 'string' },
    'api-key': { type: 'string' },
    'embedding-dims': { type: 'string' },
    'max-model-len': { type: 'string' },
    'max-num-seqs': { type: 'string' },
    slowdown: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (values.help) {
  console.log(
    'usage: tsx test/mock-vllm/main.ts [--port 8123] [--host 127.0.0.1] [--model google/gemma-4-31b]\n' +
      '       [--ttft-ms N] [--inter-token-ms N] [--api-key K] [--embedding-dims N] [--max-model-len N]\n' +
      '       [--max-num-seqs N] [--slowdown F]',
  );
  process.exit(0);
}

const mock = await startMockVllm({
  port: num(values.port, 'port'),
  host: values.host,
  model: values.model,
  ttftMs: num(values['ttft-ms'], 'ttft-ms'),
  interTokenMs: num(values['inter-token-ms'], 'inter-token-ms'),
  apiKey: values['api-key'],
  embeddingDims: num(values['embedding-dims'], 'embedding-dims'),
  maxModelLen: num(values['max-model-len'], 'max-model-len'),
  load: { maxNumSeqs: num(values['max-num-seqs'], 'max-num-seqs'), slowdown: num(values.slowdown, 'slowdown') },
});
console.log(`mock vLLM serving ${mock.model} on ${mock.url}`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  mock.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
