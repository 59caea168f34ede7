import type { Client } from 'pg';
import type { Database } from './database';

/** The outcome of a health probe: the round trip in ms, or why the database did not answer. */
export type PingResult = { ok: true; ms: number } | { ok: false; message: string };

/**
 * A connection of its own, outside the pool, for health probes: a burst of requests that holds
 * every pooled connection must not make `/health` wait for one and report the node dead exactly
 * when it is busy. Opened at the first probe, dropped after a failure (the next probe reconnects),
 * closed at shutdown. Probes that arrive while one is under way share its answer.
 */
export class ProbeConnection {
  private client: Client | null = null;
  private pending: Promise<PingResult> | null = null;
  private closed = false;

  constructor(private readonly db: Database) {}

  /** Whether the database answers `SELECT 1` within `timeoutMs`. */
  ping(timeoutMs: number): Promise<PingResult> {
    this.pending ??= this.probe(timeoutMs).finally(() => (this.pending = null));
    return this.pending;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
  }

  private async probe(timeoutMs: number): Promise<PingResult> {
    if (this.closed) return { ok: false, message: 'shutting down' };
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.selectOne(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true, ms: Date.now() - started };
    } catch (err) {
      // A connection that failed or did not answer in time is not trusted again.
      void this.drop();
      return { ok: false, message: (err as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }

  private async selectOne(): Promise<void> {
    if (!this.client) {
      const client = this.db.dedicatedClient();
      // An idle connection that drops is dropped here too; the next probe opens another.
      client.on('error', () => {
        if (this.client === client) this.client = null;
      });
      this.client = client;
      await client.connect();
    }
    await this.client.query('SELECT 1');
  }

  private async drop(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
