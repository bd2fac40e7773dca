import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** Where a streamed answer goes once the proxy has decided to forward it. */
export interface UpstreamSink {
  /** Returns false to pause the backend until `resume()` (backpressure). */
  data(chunk: Buffer): boolean;
  end(): void;
  error(err: Error): void;
}

const CLIENT_GONE = new Error('client went away');

/**
 * One request to a backend through undici's dispatch API: no Readable stream and no AbortController
 * per request (both showed in profiles of the hot path). The answer is buffered until the proxy
 * either collects it (errors, non-streaming answers) or pipes it to the client (streams).
 */
export class UpstreamCall implements Dispatcher.DispatchHandler {
  status = 0;
  headers: IncomingHttpHeaders = {};
  /** Resolves when the backend's status line and headers arrive; rejects if it fails before. */
  readonly started: Promise<void>;
  private resolveStart!: () => void;
  private rejectStart!: (err: Error) => void;
  private controller?: Dispatcher.DispatchController;
  private buffered: Buffer[] = [];
  private ended = false;
  private failure?: Error;
  private sink?: UpstreamSink;
  private settle?: (err?: Error) => void;
  private abortRequested = false;

  constructor() {
    this.started = new Promise<void>((resolve, reject) => {
      this.resolveStart = resolve;
      this.rejectStart = reject;
    });
    // Nobody may be awaiting `started` when a failure lands after the headers.
    this.started.catch(() => undefined);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortRequested) controller.abort(CLIENT_GONE);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headers = headers;
    this.resolveStart();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.sink) {
      if (!this.sink.data(chunk)) controller.pause();
    } else {
      this.buffered.push(chunk);
    }
  }

  onResponseEnd(): void {
    this.ended = true;
    if (this.sink) this.sink.end();
    else this.settle?.();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.failure = err;
    if (this.status === 0) this.rejectStart(err);
    else if (this.sink) this.sink.error(err);
    else this.settle?.(err);
  }

  /** The client went away: stop the backend's work. */
  abort(): void {
    this.abortRequested = true;
    this.controller?.abort(CLIENT_GONE);
  }

  resume(): void {
    this.controller?.resume();
  }

  /** The whole answer body. */
  collect(): Promise<Buffer> {
    const body = () => (this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered));
    if (this.ended) return Promise.resolve(body());
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve(body()));
    });
  }

  /** Forwards what arrived so far and everything after it to `sink`. */
  pipe(sink: UpstreamSink): void {
    this.sink = sink;
    const early = this.buffered;
    this.buffered = [];
    let paused = false;
    for (const chunk of early) if (!sink.data(chunk)) paused = true;
    if (paused) this.controller?.pause();
    if (this.ended) sink.end();
    else if (this.failure) sink.error(this.failure);
  }
}
