import type { Logger } from '@nestjs/common';
import { Client, type ClientConfig, type Pool } from 'pg';

const MAX_RECONNECT_DELAY_MS = 1_000;

export interface ListenerHandlers {
  /** A notification arrived on `channel`. */
  onNotify(channel: string, payload: string): void;
  /** Runs on the fresh connection before it counts as connected (session set-up); a failure
   * drops the connection and retries. */
  onSession?(client: Client): Promise<void>;
  /** The listener (re)connected: notifications may have been missed, so look for work now. */
  onConnected(): void;
}

/**
 * A dedicated connection that LISTENs on the module's channels. It reconnects with backoff when the
 * connection drops, and checks itself with a query every `healthCheckMs`, so a listener that died
 * silently is replaced instead of leaving pick-up to the polling fallback.
 */
export class NotificationListener {
  private client: Client | null = null;
  private closed = false;
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private healthTimer?: NodeJS.Timeout;

  constructor(
    private readonly pool: Pool,
    private readonly channels: string[],
    private readonly handlers: ListenerHandlers,
    private readonly logger: Logger,
    private readonly healthCheckMs = 10_000,
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.healthTimer = setInterval(() => void this.check(), this.healthCheckMs);
    this.healthTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.healthTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    // The pool's own connection settings, so the listener reaches the same database as everything else.
    const config = (this.pool as unknown as { options: ClientConfig }).options;
    const client = new Client({ ...config, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
    client.on('notification', (msg) => this.handlers.onNotify(msg.channel, msg.payload ?? ''));
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN "${channel}"`);
      await this.handlers.onSession?.(client);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    if (this.failures > 0) this.logger.log('Notification listener reconnected');
    this.failures = 0;
    this.handlers.onConnected();
  }

  /** Drops the current connection and starts a new session (after the usual short backoff). */
  reconnect(reason: string): void {
    const client = this.client;
    if (client) this.lost(client, new Error(reason));
  }

  private async check(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.query('SELECT 1');
    } catch (err) {
      this.lost(client, err as Error);
    }
  }

  private lost(client: Client, err: Error): void {
    if (this.closed) return;
    if (this.client === client) this.client = null;
    else if (this.client !== null || this.reconnectTimer) return;
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    this.failures += 1;
    // At most a second apart: after a database restart the node must be back (and re-registered)
    // well within RESTART_GRACE_MS, or the other nodes declare it dead.
    const delay = Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** Math.min(this.failures, 5));
    this.logger.warn(`Notification listener lost (${err.message}); reconnecting in ${delay} ms, polling meanwhile`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
