import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { HttpLimits } from '../config/config.types.js';
import { boundaryOf, readUploadHead } from './multipart.js';
import { BodyBudget } from './request-body.js';

const limits = { maxBodyBytes: 1 << 20 } as HttpLimits;

function form(boundary: string, fields: Array<[string, string, string?]>): Buffer {
  const parts = fields.map(([name, value, filename]) => {
    const disposition = `form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}`;
    const type = filename ? '\r\nContent-Type: audio/wav' : '';
    return `--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n${value}\r\n`;
  });
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`);
}

/** A request whose body arrives in `chunk`-byte pieces. */
function request(body: Buffer, boundary: string, chunk: number): IncomingMessage {
  const req = new PassThrough() as unknown as IncomingMessage;
  req.headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) };
  setImmediate(() => {
    for (let i = 0; i < body.length; i += chunk) (req as unknown as PassThrough).write(body.subarray(i, i + chunk));
    (req as unknown as PassThrough).end();
  });
  return req;
}

async function collect(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('latin1');
}

describe('readUploadHead', () => {
  const boundary = '----form7MA4YWxkTrZu0gW';

  for (const chunk of [1, 7, 64, 4096]) {
    it(`finds model after the file and rewrites it (chunks of ${chunk} bytes)`, async () => {
      const audio = 'RIFF'.padEnd(3000, 'x');
      const body = form(boundary, [
        ['file', audio, 'a.wav'],
        ['model', 'whisper'],
        ['language', 'en'],
      ]);
      const budget = new BodyBudget(1 << 20);
      let held = 0;
      const head = await readUploadHead(request(body, boundary, chunk), limits, budget, (n) => (held += n));
      expect(head.model).toBe('whisper');
      expect(head.fields.file).toBeUndefined();
      expect(held).toBeGreaterThan(3000);
      const { body: stream, contentLength } = head.body('openai/whisper-large-v3');
      const sent = await collect(stream);
      expect(sent).toBe(body.toString('latin1').replace('\r\n\r\nwhisper\r\n', '\r\n\r\nopenai/whisper-large-v3\r\n'));
      expect(contentLength).toBe(sent.length);
    });
  }

  it('holds only what comes before model when model is first', async () => {
    const body = form(boundary, [
      ['model', 'whisper'],
      ['user', 'ann'],
      ['file', 'x'.repeat(50_000), 'a.wav'],
    ]);
    let held = 0;
    const head = await readUploadHead(request(body, boundary, 1000), limits, new BodyBudget(1 << 20), (n) => (held += n));
    expect(held).toBeLessThan(5000);
    expect(head.model).toBe('whisper');
    expect((await collect(head.body('w').body)).length).toBe(body.length - 'whisper'.length + 1);
  });

  it('refuses a form without model, and a body that is not a form', async () => {
    const body = form(boundary, [['file', 'abc', 'a.wav']]);
    await expect(readUploadHead(request(body, boundary, 10), limits, new BodyBudget(1 << 20), () => undefined)).rejects.toThrow(/"model" is required/);
    expect(() => boundaryOf('application/json')).toThrow(/multipart\/form-data/);
    expect(boundaryOf('multipart/form-data; boundary="a b"')).toBe('a b');
  });

  it('refuses a body over the limit', async () => {
    const body = form(boundary, [
      ['file', 'x'.repeat(5000), 'a.wav'],
      ['model', 'whisper'],
    ]);
    const small = { maxBodyBytes: 1000 } as HttpLimits;
    const req = request(body, boundary, 100);
    req.headers['content-length'] = undefined;
    await expect(readUploadHead(req, small, new BodyBudget(1 << 20), () => undefined)).rejects.toMatchObject({ status: 413 });
  });
});
