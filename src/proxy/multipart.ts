import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { ApiError } from '../common/api-error.js';
import type { HttpLimits } from '../config/config.types.js';
import { type BodyBudget, BodyMeter, tooLarge } from './request-body.js';

const BOUNDARY = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i;
const HEADER_END = Buffer.from('\r\n\r\n');
const NAME = /\bname="([^"]*)"/i;
/** The form fields the proxy reads (the rest, the audio above all, passes untouched). */
const MAX_FIELD_BYTES = 1024;
const MAX_HEADER_BYTES = 16 * 1024;

/** The start of a multipart upload, read up to its `model` field; the rest is still in the request. */
export interface UploadHead {
  /** What the client named in the `model` field. */
  model: string;
  /** The text fields before `model` (e.g. `user`), as the router and the spend row read them. */
  fields: Record<string, string>;
  /** The body to send upstream: the head with `model` rewritten, then the rest as it arrives (once). */
  body(upstreamModel: string): { body: Readable; contentLength?: number };
}

export function boundaryOf(contentType: string | undefined): string {
  const m = contentType && /^multipart\/form-data\b/i.test(contentType) ? BOUNDARY.exec(contentType) : null;
  if (!m) throw ApiError.badRequest('This route takes multipart/form-data with a boundary (a "file" and a "model" field), as the OpenAI SDK sends it');
  return m[1] ?? m[2];
}

interface Part {
  name: string;
  /** Offsets of the value within the buffer. */
  start: number;
  end: number;
}

/**
 * Finds the parts of a growing buffer as bytes arrive, never scanning a byte twice (a file part of
 * megabytes before `model` is searched once for its closing delimiter).
 */
class PartScanner {
  readonly parts: Part[] = [];
  /** Where the next delimiter search starts. */
  private at = 0;
  /** The current part's opening delimiter, or -1 while looking for one. */
  private open = -1;
  private valueStart = -1;
  private name = '';

  constructor(private readonly delimiter: Buffer) {}

  scan(buf: Buffer): void {
    const d = this.delimiter;
    for (;;) {
      if (this.open === -1) {
        const open = buf.indexOf(d, this.at);
        if (open === -1) return this.keepLooking(buf, 0);
        this.open = open;
      }
      if (this.valueStart === -1) {
        const headStart = this.open + d.length + 2; // the CRLF after the delimiter
        const headEnd = buf.indexOf(HEADER_END, headStart);
        if (headEnd === -1) {
          if (buf.length - headStart > MAX_HEADER_BYTES) throw ApiError.badRequest('A multipart part has headers over 16 KiB');
          return;
        }
        this.name = NAME.exec(buf.toString('latin1', headStart, headEnd))?.[1] ?? '';
        this.valueStart = this.at = headEnd + HEADER_END.length;
      }
      const close = buf.indexOf(d, this.at);
      if (close === -1) return this.keepLooking(buf, this.valueStart);
      this.parts.push({ name: this.name, start: this.valueStart, end: close });
      this.open = this.at = close;
      this.valueStart = -1;
    }
  }

  /** A delimiter may straddle what has arrived and what comes next. */
  private keepLooking(buf: Buffer, floor: number): void {
    this.at = Math.max(floor, this.at, buf.length - this.delimiter.length + 1);
  }
}

/** A buffer that grows by doubling, so holding a large part costs linear copying. */
class Growing {
  private data = Buffer.allocUnsafe(16 * 1024);
  length = 0;

  push(c: Buffer): void {
    if (this.length + c.length > this.data.length) {
      const next = Buffer.allocUnsafe(Math.max(this.data.length * 2, this.length + c.length));
      this.data.copy(next, 0, 0, this.length);
      this.data = next;
    }
    c.copy(this.data, this.length);
    this.length += c.length;
  }

  get view(): Buffer {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Reads a multipart body until its `model` field has arrived, counting what it holds against the
 * in-flight budget (`held` hears it, as readBody's does); the rest is streamed upstream later, within
 * `limits.maxBodyBytes` overall. A client that puts the file first has it held until `model` comes.
 */
export function readUploadHead(req: IncomingMessage, limits: HttpLimits, budget: BodyBudget, held: (bytes: number) => void): Promise<UploadHead> {
  return new Promise((resolve, reject) => {
    const delimiter = Buffer.from(`\r\n--${boundaryOf(req.headers['content-type'])}`);
    const meter = new BodyMeter(req, limits, budget, held);
    // A CRLF in front, so the first delimiter reads like every other one.
    const buf = new Growing();
    buf.push(Buffer.from('\r\n'));
    const scanner = new PartScanner(delimiter);
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', fail);
    };
    const fail = (err: unknown) => {
      stop();
      reject(err);
    };
    const onData = (c: Buffer) => {
      try {
        meter.take(c);
        buf.push(c);
        scanner.scan(buf.view);
      } catch (err) {
        return fail(err);
      }
      const model = scanner.parts.find((p) => p.name === 'model');
      if (!model) return;
      stop();
      req.pause();
      resolve(headOf(req, buf.view.subarray(2), model, scanner.parts, meter));
    };
    const onEnd = () => fail(ApiError.badRequest('"model" is required: a form field naming a model from /v1/models', 'model'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', fail);
  });
}

function headOf(req: IncomingMessage, buf: Buffer, model: Part, parts: Part[], meter: BodyMeter): UploadHead {
  // Offsets were taken with the leading CRLF in place.
  const start = model.start - 2;
  const end = model.end - 2;
  const fields: Record<string, string> = {};
  for (const p of parts) if (p !== model && p.end - p.start <= MAX_FIELD_BYTES) fields[p.name] = buf.toString('utf8', p.start - 2, p.end - 2);
  const declared = Number(req.headers['content-length']);
  return {
    model: buf.toString('utf8', start, end).trim(),
    fields,
    body(upstreamModel) {
      const value = Buffer.from(upstreamModel);
      const stream = new PassThrough();
      stream.write(Buffer.concat([buf.subarray(0, start), value, buf.subarray(end)]));
      // The rest streams through, not held: only the total is bounded.
      let total = meter.size;
      req.on('data', (c: Buffer) => {
        total += c.length;
        if (total > meter.max) stream.destroy(tooLarge(meter.max));
      });
      req.pipe(stream);
      req.resume();
      return { body: stream, contentLength: Number.isInteger(declared) && declared > 0 ? declared - (end - start) + value.length : undefined };
    },
  };
}
