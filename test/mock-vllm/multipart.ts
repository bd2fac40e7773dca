// A small streaming multipart/form-data parser for the mock vLLM's audio routes. It reads the body as it
// arrives (file parts are counted, not kept: only their first bytes are, for a WAV header), and records when
// the first body byte came and when the body ended, so a test can tell a streamed upload from a buffered one.

import type { IncomingMessage } from 'node:http';

export interface MultipartFile {
  /** The form field name, e.g. "file". */
  field: string;
  filename: string | null;
  contentType: string | null;
  size: number;
  /** The first HEAD_BYTES bytes (a WAV header fits). */
  head: Buffer;
}

export interface MultipartBody {
  /** Text fields in arrival order of their first value; a repeated field keeps its last value. */
  fields: Record<string, string>;
  /** Field names in the order their parts arrived (text and file parts). */
  order: string[];
  files: MultipartFile[];
  /** Total body bytes read. */
  bytes: number;
  /** Date.now() when the first body byte arrived (null: empty body). */
  firstByteAt: number | null;
  /** Date.now() when the body ended. */
  endedAt: number;
}

const HEAD_BYTES = 64;

export class MultipartError extends Error {}

/** The boundary of a `multipart/form-data; boundary=…` content type, or undefined. */
export function boundaryOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

interface Part {
  name: string;
  filename: string | null;
  contentType: string | null;
  text: Buffer[];
  file: MultipartFile | undefined;
}

function parseHeaders(raw: string): Part {
  let name: string | undefined;
  let filename: string | null = null;
  let contentType: string | null = null;
  for (const line of raw.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-disposition') {
      name = /;\s*name="([^"]*)"/i.exec(value)?.[1];
      const f = /;\s*filename="([^"]*)"/i.exec(value);
      if (f) filename = f[1] ?? '';
    } else if (key === 'content-type') contentType = value;
  }
  if (name === undefined) throw new MultipartError('part without a Content-Disposition name');
  const file = filename !== null ? { field: name, filename, contentType, size: 0, head: Buffer.alloc(0) } : undefined;
  return { name, filename, contentType, text: [], file };
}

/**
 * Reads a multipart body to its end. `maxBytes` bounds the whole body (the caller answers 413 on
 * MultipartError('too large')).
 */
export function readMultipart(req: IncomingMessage, boundary: string, maxBytes: number): Promise<MultipartBody> {
  // Every delimiter, the first included, is treated as CRLF--boundary: the body gets a CRLF in front.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const out: MultipartBody = { fields: {}, order: [], files: [], bytes: 0, firstByteAt: null, endedAt: 0 };
  let buf: Buffer = Buffer.from('\r\n');
  let state: 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done' = 'preamble';
  let part: Part | undefined;

  const bodyData = (chunk: Buffer): void => {
    if (chunk.length === 0 || part === undefined) return;
    if (part.file) {
      if (part.file.head.length < HEAD_BYTES) part.file.head = Buffer.concat([part.file.head, chunk.subarray(0, HEAD_BYTES - part.file.head.length)]);
      part.file.size += chunk.length;
    } else part.text.push(chunk);
  };
  const endPart = (): void => {
    if (part === undefined) return;
    if (part.file) out.files.push(part.file);
    else out.fields[part.name] = Buffer.concat(part.text).toString('utf8');
    part = undefined;
  };

  const step = (): void => {
    for (;;) {
      if (state === 'preamble' || state === 'body') {
        const at = buf.indexOf(delimiter);
        if (at === -1) {
          // Keep a tail that could be the start of a delimiter.
          const keep = Math.min(buf.length, delimiter.length - 1);
          if (state === 'body') bodyData(buf.subarray(0, buf.length - keep));
          buf = buf.subarray(buf.length - keep);
          return;
        }
        if (state === 'body') {
          bodyData(buf.subarray(0, at));
          endPart();
        }
        buf = buf.subarray(at + delimiter.length);
        state = 'after-delimiter';
      } else if (state === 'after-delimiter') {
        if (buf.length < 2) return;
        const two = buf.subarray(0, 2).toString('latin1');
        if (two === '--') {
          state = 'done';
          return;
        }
        if (two !== '\r\n') throw new MultipartError('malformed delimiter line');
        buf = buf.subarray(2);
        state = 'headers';
      } else if (state === 'headers') {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) {
          if (buf.length > 16 * 1024) throw new MultipartError('part headers too long');
          return;
        }
        part = parseHeaders(buf.subarray(0, end).toString('utf8'));
        out.order.push(part.name);
        buf = buf.subarray(end + 4);
        state = 'body';
      } else return;
    }
  };

  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      reject(err);
      req.resume();
    };
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      out.firstByteAt ??= Date.now();
      out.bytes += chunk.length;
      if (out.bytes > maxBytes) return fail(new MultipartError('too large'));
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      try {
        step();
      } catch (err) {
        fail(err as Error);
      }
    });
    req.on('end', () => {
      if (failed) return;
      out.endedAt = Date.now();
      if (state !== 'done') return fail(new MultipartError('body ended before the closing boundary'));
      resolve(out);
    });
    req.on('error', fail);
  });
}
