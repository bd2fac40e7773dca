import http from 'node:http';

/** A WAV file: the header for `seconds` of 16 kHz 16-bit mono, then that much silence. */
export function wav(seconds: number): Buffer {
  const data = Math.round(seconds * 32000);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data, 4);
  h.write('WAVEfmt ', 8, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(16000, 24);
  h.writeUInt32LE(32000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data, 40);
  return Buffer.concat([h, Buffer.alloc(data)]);
}

export interface SlowUpload {
  status: number;
  body: string;
  /** Date.now() just before the last part of the body was written. */
  lastWriteAt: number;
}

/**
 * POSTs a multipart form by hand: the `model` field first, then `file` in `pieces` chunks with `pauseMs`
 * between them, so the server can be seen reading the body before the client has finished sending it.
 */
export async function slowUpload(
  url: string,
  opts: { model: string; file: Buffer; pieces: number; pauseMs: number; headers?: Record<string, string> },
): Promise<SlowUpload> {
  const boundary = `slowupload${Date.now().toString(36)}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${opts.model}\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  const req = http.request(url, { method: 'POST', headers: { ...opts.headers, 'content-type': `multipart/form-data; boundary=${boundary}` } });
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  req.write(head);
  const size = Math.ceil(opts.file.length / opts.pieces);
  for (let i = 0; i < opts.pieces; i++) {
    req.write(opts.file.subarray(i * size, (i + 1) * size));
    await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  const lastWriteAt = Date.now();
  req.end(`\r\n--${boundary}--\r\n`);
  return { ...(await answer), lastWriteAt };
}
