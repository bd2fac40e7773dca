import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /**
   * Stops forwarding, in both directions and without closing, on every connection whose client sent
   * `marker` so far: the peer sees a silent, half-open link. New connections still pass.
   */
  freeze(marker: string): number;
  close(): Promise<void>;
}

/** A loopback TCP relay to `targetPort` that a test can make go silent (what a dead NAT or a cut cable does). */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const links = new Set<{ client: Socket; server: Socket; seen: string; frozen: boolean }>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    const link = { client, server: upstream, seen: '', frozen: false };
    links.add(link);
    client.on('data', (d) => {
      if (link.frozen) return;
      // Enough of the stream to find a statement's text (the protocol sends it in clear).
      link.seen = (link.seen + d.toString('latin1')).slice(-4096);
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!link.frozen) client.write(d);
    });
    const end = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze(marker) {
      let n = 0;
      for (const l of links) {
        if (l.seen.includes(marker)) {
          l.frozen = true;
          n++;
        }
      }
      return n;
    },
    async close() {
      for (const l of links) {
        l.client.destroy();
        l.server.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
