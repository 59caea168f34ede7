import type { Client, QueryResultRow } from 'pg';
import type { Database, Query, Queryable } from './database';

export interface ListenerEvents {
  /** A notification arrived on `channel`. */
  notification(channel: string, payload: string): void;
  /** The connection failed or ended; it is not used again. */
  lost(err: Error): void;
}

/**
 * A dedicated connection, outside the pool, that LISTENs on the module's channels. It is also the
 * node's session: the liveness lock is taken on it (see `NodesRepository.registerSession`).
 * Reconnecting is the runtime's business (`NotificationListener`); this only opens, checks and
 * closes one connection.
 */
export class ListenerConnection implements Queryable {
  private ended = false;

  private constructor(private readonly client: Client) {}

  /** Connects and LISTENs; rejects (with the connection closed) when either fails. */
  static async open(db: Database, channels: string[], events: ListenerEvents): Promise<ListenerConnection> {
    const client = db.dedicatedClient();
    const connection = new ListenerConnection(client);
    client.on('notification', (msg) => events.notification(msg.channel, msg.payload ?? ''));
    client.on('error', (err) => connection.fail(err, events));
    client.on('end', () => connection.fail(new Error('connection ended'), events));
    try {
      await client.connect();
      for (const channel of channels) await client.query(`LISTEN "${channel}"`);
    } catch (err) {
      await connection.close();
      throw err;
    }
    return connection;
  }

  async query<R extends QueryResultRow>(query: Query): Promise<{ rows: R[]; rowCount: number | null }> {
    return this.client.query<R>(query);
  }

  /** A round trip, to find a connection that died silently. */
  async check(): Promise<void> {
    await this.client.query('SELECT 1');
  }

  async close(): Promise<void> {
    this.ended = true;
    this.client.removeAllListeners('end');
    this.client.on('error', () => undefined);
    await this.client.end().catch(() => undefined);
  }

  private fail(err: Error, events: ListenerEvents): void {
    if (this.ended) return;
    this.ended = true;
    void this.close();
    events.lost(err);
  }
}
