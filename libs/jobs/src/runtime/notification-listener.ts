import type { Logger } from '@nestjs/common';
import type { JobsStorage } from '../storage/jobs-storage';
import type { ListenerConnection } from '../storage/listener-connection';
import { SESSION_CHECK_MS, SESSION_SILENCE_MS } from './lease-clock';
import { ThrottledWarning } from './throttled-warning';

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
  /** A check sent at `sentAt` (monotonic ms) on the connection was answered: the session was alive then. */
  onAnswered?(sentAt: number): void;
  /** The connection in use failed, ended or went silent: the node's session is gone. */
  onLost?(): void;
}

/**
 * Keeps a dedicated connection LISTENing on the module's channels; it is also the node's session (see
 * `NodeLiveness`). It reconnects when the connection drops (the first retry at once: a live node must
 * take its session lock again within `SESSION_GRACE_MS`), and checks it with a round trip every
 * `checkEveryMs`, each answer a proof that the session was alive when the check was sent. A check is
 * never queued behind one still unanswered (the client would only pile them up on a silent socket);
 * one unanswered for `SESSION_SILENCE_MS` means the connection is dead, and it is replaced.
 */
export class NotificationListener {
  private connection: ListenerConnection | null = null;
  private closed = false;
  private failures = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private healthTimer?: NodeJS.Timeout;
  /** When the check in flight was sent (monotonic ms), if one is. */
  private checkSentAt: number | null = null;
  private readonly warning: ThrottledWarning;

  constructor(
    private readonly storage: JobsStorage,
    private readonly handlers: ListenerHandlers,
    private readonly logger: Logger,
    private readonly checkEveryMs = SESSION_CHECK_MS,
  ) {
    this.warning = new ThrottledWarning(logger);
  }

  async start(): Promise<void> {
    await this.connect();
    this.healthTimer = setInterval(() => void this.check(), this.checkEveryMs);
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
      void connection?.close();
      this.retry(err as Error);
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
    const now = performance.now();
    if (this.checkSentAt !== null) {
      if (now - this.checkSentAt > SESSION_SILENCE_MS)
        this.lost(connection, new Error(`no answer on the session for ${Math.round(now - this.checkSentAt)} ms`));
      return;
    }
    this.checkSentAt = now;
    try {
      await connection.check();
      if (this.connection === connection) this.handlers.onAnswered?.(now);
    } catch (err) {
      this.lost(connection, err as Error);
    } finally {
      if (this.checkSentAt === now) this.checkSentAt = null;
    }
  }

  /** `connection` failed or ended: closed; if it was the one in use, a new one is made. A connection
   * not (or no longer) in use, failing late, changes nothing: one connect at a time, none left open. */
  private lost(connection: ListenerConnection | null, err: Error): void {
    void connection?.close();
    if (this.closed || connection === null || connection !== this.connection) return;
    this.connection = null;
    this.checkSentAt = null;
    this.handlers.onLost?.();
    this.retry(err);
  }

  /** Schedules one connect: at once the first time (a dropped session of a live node), then backing off. */
  private retry(err: Error): void {
    if (this.closed || this.reconnectTimer) return;
    this.failures += 1;
    const delay = this.failures === 1 ? 0 : Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** Math.min(this.failures, 5));
    this.warning.warn(`Notification listener lost (${err.message}); reconnecting, polling meanwhile`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
    this.reconnectTimer.unref();
  }
}
