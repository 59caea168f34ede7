import type { Logger } from '@nestjs/common';
import type { JobsStorage } from '../storage/jobs-storage';
import type { ListenerConnection } from '../storage/listener-connection';

/** At most a second between reconnects: after a database restart the node must be back (and
 * re-registered) well within RESTART_GRACE_MS, or the other nodes declare it dead. */
const MAX_RECONNECT_DELAY_MS = 1_000;

export interface ListenerHandlers {
  /** A notification arrived on `channel`. */
  onNotify(channel: string, payload: string): void;
  /** Runs on the fresh connection before it counts as connected (session set-up); a failure
   * drops the connection and retries. */
  onSession?(connection: ListenerConnection): Promise<void>;
  /** The listener (re)connected: notifications may have been missed, so look for work now. */
  onConnected(): void;
}

/**
 * Keeps a dedicated connection LISTENing on the module's channels. It reconnects with backoff when
 * the connection drops, and checks itself with a query every `healthCheckMs`, so a listener that
 * died silently is replaced instead of leaving pick-up to the polling fallback.
 */
export class NotificationListener {
  private connection: ListenerConnection | null = null;
  private closed = false;
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private healthTimer?: NodeJS.Timeout;

  constructor(
    private readonly storage: JobsStorage,
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
    const connection = this.connection;
    this.connection = null;
    await connection?.close();
  }

  /** Drops the current connection and starts a new session (after the usual short backoff). */
  reconnect(reason: string): void {
    const connection = this.connection;
    if (connection) this.lost(connection, new Error(reason));
  }

  private async connect(): Promise<void> {
    let connection: ListenerConnection | null = null;
    try {
      connection = await this.storage.listen({
        notification: (channel, payload) => this.handlers.onNotify(channel, payload),
        lost: (err) => this.lost(connection, err),
      });
      await this.handlers.onSession?.(connection);
    } catch (err) {
      this.lost(connection, err as Error);
      return;
    }
    if (this.closed) {
      await connection.close();
      return;
    }
    this.connection = connection;
    if (this.failures > 0) this.logger.log('Notification listener reconnected');
    this.failures = 0;
    this.handlers.onConnected();
  }

  private async check(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    try {
      await connection.check();
    } catch (err) {
      this.lost(connection, err as Error);
    }
  }

  /** `connection` failed (null: it never opened). Closes it and schedules one reconnect. */
  private lost(connection: ListenerConnection | null, err: Error): void {
    if (this.closed) return;
    if (connection && this.connection === connection) this.connection = null;
    else if (this.connection !== null || this.reconnectTimer) return;
    void connection?.close();
    this.failures += 1;
    const delay = Math.min(MAX_RECONNECT_DELAY_MS, 100 * 2 ** Math.min(this.failures, 5));
    this.logger.warn(`Notification listener lost (${err.message}); reconnecting in ${delay} ms, polling meanwhile`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
