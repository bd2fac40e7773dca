import { connect } from 'node:net';
import type { QueryRunner } from 'typeorm';

/** The parts of a node-postgres client that cancelling its statement needs. */
interface PgClient {
  host?: string;
  port?: number;
  processID?: number | null;
  secretKey?: number | null;
  connection?: { stream?: { destroy(): void } };
}

/**
 * Stops the statement a query runner has in flight: a CancelRequest on a connection of its own
 * first (PostgreSQL rolls the statement back, so it cannot commit later behind our back), then,
 * if it still has not answered after `cutAfterMs`, the connection is cut (the query then fails as
 * a connection error, and the pool drops the client).
 */
export function cancelStatement(runner: QueryRunner | undefined, cutAfterMs = 500): void {
  const client = (runner as unknown as { databaseConnection?: PgClient } | undefined)?.databaseConnection;
  if (!client) return;
  if (client.host && !client.host.startsWith('/') && client.port && client.processID && client.secretKey !== null && client.secretKey !== undefined) {
    // Protocol message: length 16, code 80877102 (1234 5678), backend pid, secret key.
    const msg = Buffer.alloc(16);
    msg.writeInt32BE(16, 0);
    msg.writeInt16BE(1234, 4);
    msg.writeInt16BE(5678, 6);
    msg.writeInt32BE(client.processID, 8);
    msg.writeInt32BE(client.secretKey, 12);
    const socket = connect(client.port, client.host, () => socket.end(msg));
    socket.on('error', () => undefined);
    socket.setTimeout(cutAfterMs, () => socket.destroy());
  }
  setTimeout(() => client.connection?.stream?.destroy(), cutAfterMs).unref();
}
