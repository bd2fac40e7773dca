import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { requestLogger } from './logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, stream };
}

describe('requestLogger', () => {
  it('writes the request line to the same destination, with the same base fields', () => {
    const { lines, stream } = capture();
    const log = pino({ base: { pid: 7 } }, stream);
    requestLogger(log).info({ req_id: 'r1', model: 'm', status: 200, ms: 1.5 }, 'request');
    expect(lines).toEqual([expect.objectContaining({ level: 30, pid: 7, req_id: 'r1', model: 'm', status: 200, ms: 1.5, msg: 'request' })]);
  });

  it('still censors a secret-named field at the top level', () => {
    const { lines, stream } = capture();
    requestLogger(pino(stream)).info({ key: 'sk-secret', authorization: 'Bearer sk-x', api_key: 'sk-y', model: 'm' }, 'request');
    expect(lines[0]).toMatchObject({ key: '***', authorization: '***', api_key: '***', model: 'm' });
    expect(JSON.stringify(lines[0])).not.toContain('sk-');
  });

  it('follows the level of the logger it derives from', () => {
    const { lines, stream } = capture();
    requestLogger(pino({ level: 'error' }, stream)).info({ model: 'm' }, 'request');
    expect(lines).toEqual([]);
  });
});
