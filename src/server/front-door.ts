import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ConfigError } from '../config/config.error.js';
import type { HttpLimits } from '../config/config.types.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The one HTTP server (Nest's "multiple servers" recipe: Nest's Express adapter is initialised but
 * never listens; this server hands each request to the /v1 fast path or to Express). It owns the
 * bounds on what a client can hold — request and header timeouts, a connection cap — and the
 * in-flight count that draining waits for.
 */
export class FrontDoor {
  readonly server: Server;
  private inFlight = 0;
  private idle?: () => void;

  constructor(limits: HttpLimits, listener: RequestListener) {
    this.server = createServer(
      {
        requestTimeout: limits.requestTimeoutMs,
        headersTimeout: limits.headersTimeoutMs,
        // How often the two timeouts above are checked (Node's default, 30 s, would let them overrun by that much).
        connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
        keepAliveTimeout: 65_000,
      },
      (req, res) => {
        this.inFlight++;
        res.once('close', () => {
          if (--this.inFlight === 0 && this.idle) this.idle();
        });
        listener(req, res);
      },
    );
    this.server.maxConnections = limits.maxConnections;
  }

  /** Listens on `host:port`; a taken port is a clear error, never another port. Returns the bound port. */
  listen(port: number, host: string): Promise<number> {
    const server = this.server;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        server.off('listening', onListening);
        reject(
          err.code === 'EADDRINUSE'
            ? new ConfigError(`port ${port} on ${host} is already in use (another proxy running? set PORT to choose another)`)
            : new ConfigError(`cannot listen on ${host}:${port}: ${err.message}`),
        );
      };
      const onListening = () => {
        server.off('error', onError);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
  }

  /**
   * Stops accepting, closes idle keep-alive connections, waits up to `graceMs` for requests and
   * streams in flight, then closes every connection. `log` hears how many were still running.
   */
  async drain(graceMs: number, log: (msg: string) => void): Promise<void> {
    this.server.close();
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      log(`draining ${this.inFlight} in-flight request(s) (up to ${graceMs} ms)`);
      await new Promise<void>((resolve) => {
        this.idle = resolve;
        setTimeout(resolve, graceMs).unref();
      });
    }
    this.server.closeAllConnections();
  }
}
