// The floor: the least a Node forwarder can do. node:http in, one keep-alive undici Pool out, the body
// forwarded untouched, the answer written back chunk by chunk as it comes (streams too) with
// backpressure, and the upstream request aborted when the client goes away. No auth, no parsing, no
// routing. It uses undici's dispatch API, not request() + stream.pipeline, which costs a Readable
// and a pipeline per request: this is the cheapest way Node can forward.
//   tsx bench/passthrough.ts --port 4001 --target http://127.0.0.1:8123
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, target: { type: 'string' } } });
if (!values.target) throw new Error('--target http://host:port is required');
const pool = new Pool(new URL(values.target).origin, { connections: 512, keepAliveTimeout: 60_000 });

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let up: Dispatcher.DispatchController | undefined;
    res.on('drain', () => up?.resume());
    res.once('close', () => !res.writableFinished && up?.abort(new Error('client went away')));
    const headers = { 'content-type': req.headers['content-type'] ?? 'application/json' };
    pool.dispatch(
      { path: req.url ?? '/', method: 'POST', headers, body: Buffer.concat(chunks) },
      {
        onRequestStart: (c) => (up = c),
        onResponseStart: (_c, status, h) => {
          const out: Record<string, string> = { 'content-type': String(h['content-type'] ?? 'application/json') };
          if (h['content-length'] !== undefined) out['content-length'] = String(h['content-length']);
          res.writeHead(status, out);
        },
        onResponseData: (c, chunk) => !res.write(chunk) && c.pause(),
        onResponseEnd: () => res.end(),
        onResponseError: () => (res.headersSent ? res.destroy() : res.writeHead(502).end()),
      },
    );
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => process.exit(0));
