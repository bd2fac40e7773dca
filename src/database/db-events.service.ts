import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectEntityManager } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.types.js';

import { ALL, CHANNELS, type ChannelEvents, type DbChannel, decodeNotice, encodeEvent } from './db-event-codec.js';

export type { DbChannel } from './db-event-codec.js';
type Handler<C extends DbChannel = DbChannel> = (event: ChannelEvents[C]) => void;
/** A LISTEN connection that cannot answer `SELECT 1` within this (or the heartbeat period) is lost: a half-open TCP link says nothing. */
const HEARTBEAT_TIMEOUT_MS = 5_000;

/**
 * PostgreSQL LISTEN/NOTIFY between instances: a key revoked, a model added or a UI session ended on
 * one instance is seen by every other at once. One dedicated connection with TCP keepalive and a heartbeat,
 * reconnected when it drops; after a reconnect every subscriber is told to drop its whole cache (`*`), since
 * notices may have been missed (`{ op: 'all' }`), and `onReconnected` handlers run.
 */
@Injectable()
export class DbEventsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DbEventsService.name);
  private readonly handlers = new Map<DbChannel, Set<Handler>>();
  private client?: pg.Client;
  private closing = false;
  private retryTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private readonly reconnected = new Set<() => void>();
  /** Tags this instance's notices, so their echo on its own LISTEN connection is skipped. */
  private readonly origin = randomBytes(9).toString('base64url');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    /** The app's pool, for NOTIFY; LISTEN holds a connection of its own (below). */
    @InjectEntityManager() private readonly manager: EntityManager,
  ) {}

  subscribe<C extends DbChannel>(channel: C, handler: Handler<C>): void {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler as Handler);
  }

  /** Runs after the LISTEN connection was lost and is back (the `all` events have been dispatched). */
  onReconnected(handler: () => void): void {
    this.reconnected.add(handler);
  }

  /**
   * Sends a notice to every instance, this one included. This instance's handlers run before the
   * promise resolves: an admin call must not answer before the change holds here. The notice also comes
   * back on this instance's LISTEN connection, later; that echo is skipped. Running it again would undo
   * work done since: a key minted and used at once lost its cache entry when the echo arrived, and was
   * refused if the database went down before its next request.
   */
  async publish<C extends DbChannel>(channel: C, event: ChannelEvents[C]): Promise<void> {
    for (const payload of encodeEvent(channel, event, this.origin)) await this.manager.query('SELECT pg_notify($1, $2)', [channel, payload]);
    this.dispatch(channel, event);
  }

  /** Shorthand: these ids changed. Nothing is sent for none. */
  async changed(channel: DbChannel, ...ids: string[]): Promise<void> {
    if (ids.length) await this.publish(channel, { op: 'drop', ids });
  }

  async onModuleInit(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => void this.probe(), this.config.listenHeartbeatMs);
    this.heartbeat.unref();
  }

  private async probe(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const ms = Math.min(HEARTBEAT_TIMEOUT_MS, this.config.listenHeartbeatMs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to a heartbeat within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([client.query('SELECT 1'), timeout]);
    } catch (err) {
      this.onLost(client, err as Error);
    } finally {
      clearTimeout(timer);
    }
  }

  private url(): string {
    const opts = this.manager.dataSource.options as { url?: string };
    return opts.url ?? this.config.databaseUrl ?? '';
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url(),
      application_name: 'model-proxy-listen',
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on('notification', (msg) => {
      const channel = msg.channel as DbChannel;
      if (!CHANNELS.includes(channel)) return;
      const notice = decodeNotice(channel, msg.payload ?? '');
      if (notice.origin !== this.origin) this.dispatch(channel, notice.event);
    });
    client.on('error', (err) => this.onLost(client, err));
    client.on('end', () => this.onLost(client));
    await client.connect();
    await client.query(CHANNELS.map((c) => `LISTEN ${c}`).join('; '));
    this.client = client;
  }

  private dispatch<C extends DbChannel>(channel: C, event: ChannelEvents[C]): void {
    for (const handler of this.handlers.get(channel) ?? []) handler(event);
  }

  private onLost(client: pg.Client, err?: Error): void {
    if (this.closing || this.client !== client) return;
    this.client = undefined;
    this.logger.warn(`LISTEN connection lost${err ? ` (${err.message})` : ''}; reconnecting`);
    client.end().catch(() => undefined);
    this.scheduleReconnect(500);
  }

  private scheduleReconnect(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      this.connect()
        .then(() => {
          this.logger.log('LISTEN connection restored');
          for (const channel of this.handlers.keys()) this.dispatch(channel, ALL);
          for (const handler of this.reconnected) handler();
        })
        .catch(() => this.scheduleReconnect(Math.min(delayMs * 2, 5000)));
    }, delayMs);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeat);
    await this.client?.end().catch(() => undefined);
  }
}
