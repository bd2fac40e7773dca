// The mock vLLM as a child process of the benchmark, with request recording off (test/mock-vllm/main.ts
// records every request, which would grow without bound under load).
//   tsx bench/mock.ts --port 0 --model bench/mock-model [--ttft-ms N --inter-token-ms N --max-num-seqs N --slowdown F]
import { parseArgs } from 'node:util';
import { startMockVllm } from '../test/mock-vllm/mock-vllm.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    model: { type: 'string', default: 'bench/mock-model' },
    'ttft-ms': { type: 'string' },
    'inter-token-ms': { type: 'string' },
    'max-num-seqs': { type: 'string' },
    slowdown: { type: 'string' },
  },
});
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
const mock = await startMockVllm({
  port: Number(values.port),
  model: values.model ?? 'bench/mock-model',
  record: false,
  ttftMs: num(values['ttft-ms']),
  interTokenMs: num(values['inter-token-ms']),
  load: { maxNumSeqs: num(values['max-num-seqs']), slowdown: num(values.slowdown) },
});
console.log(JSON.stringify({ url: mock.baseUrl }));
process.once('SIGTERM', () => {
  mock.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
