import type { Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import type { Client, Pool } from 'pg';
import { createWorkersSql, type WorkersSql } from '../storage/workers.sql';

/** Server-side TCP keepalive on the liveness session: PostgreSQL notices a vanished peer host in
 * about 5 + 2 × 3 = 11 s instead of the operating system's default of hours. */
const KEEPALIVE = 'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3';

/** After a PostgreSQL restart, how long a node that is back waits before it declares dead the
 * nodes that are not: every live node's listener retries at least once a second
 * (`NotificationListener`), so one still missing after this died while the server was down. */
export const RESTART_GRACE_MS = 2_500;

export interface SweepResult {
  workers: string[];
  jobs: number;
  /** Jobs taken back, by queue. */
  queues: Record<string, number>;
}

/**
 * This node's entry in the registry of live nodes, and the sweep that finds dead ones.
 *
 * Liveness has two signals. The session: the node holds an advisory lock on its dedicated
 * connection, which PostgreSQL releases the moment the process dies (the operating system closes
 * its sockets), so a dead node is seen within one sweep. The heartbeat: a node whose `last_seen` is
 * older than its lease is dead too (frozen, partitioned). A PostgreSQL restart ends every session,
 * so the lock test only applies to sessions started since the server did; a node whose session
 * predates the restart is dead once the sweeping node has itself been back for `RESTART_GRACE_MS`.
 */
export class NodeLiveness {
  readonly sql: WorkersSql;
  private lockKey: number | null = null;
  /** When the registry last confirmed this node (registration or heartbeat); 0: not registered. */
  private confirmedAt = 0;

  constructor(
    private readonly pool: Pool,
    schema: string,
    private readonly workerId: string,
    private readonly queues: Record<string, number>,
    private readonly logger: Logger,
  ) {
    this.sql = createWorkersSql(schema);
  }

  /** Run on the dedicated connection after every (re)connect: take the lock, then say we are live. */
  async onSession(client: Client): Promise<void> {
    await client.query(KEEPALIVE);
    for (let tries = 0; tries < 5; tries++) {
      const key = this.lockKey ?? (await client.query<{ key: number }>(this.sql.nextLockKey)).rows[0].key;
      const res = await client.query<{ locked: boolean }>(this.sql.tryLock, [key]);
      if (res.rows[0].locked) {
        this.lockKey = key;
        await client.query(this.sql.register, [
          this.workerId,
          hostname(),
          process.pid,
          key,
          JSON.stringify(this.queues),
        ]);
        this.confirmedAt = Date.now();
        return;
      }
      this.lockKey = null; // held by another session (the key sequence wrapped): take a fresh one
    }
    throw new Error('could not take a liveness lock after 5 keys');
  }

  /** Returns false when the registry no longer has this node: others declared it dead. */
  async heartbeat(running: number, stopping: boolean): Promise<boolean> {
    const res = await this.pool.query({ ...this.sql.heartbeat, values: [this.workerId, running, stopping] });
    const alive = (res.rowCount ?? 0) > 0;
    this.confirmedAt = alive ? Date.now() : 0;
    return alive;
  }

  /** Registered, and confirmed by the registry within `withinMs` (for health checks). */
  registered(withinMs: number): boolean {
    return this.confirmedAt > 0 && Date.now() - this.confirmedAt <= withinMs;
  }

  async sweep(staleMs: number): Promise<SweepResult> {
    const res = await this.pool.query<SweepResult>({
      ...this.sql.sweep,
      values: [this.workerId, staleMs, RESTART_GRACE_MS],
    });
    const result = res.rows[0];
    if (result.workers.length > 0) {
      this.logger.warn(
        `Node(s) ${result.workers.join(', ')} died: put ${result.jobs} of their running jobs back in the queue`,
      );
    }
    return result;
  }

  async remove(): Promise<void> {
    this.confirmedAt = 0;
    await this.pool.query(this.sql.remove, [this.workerId]);
  }
}
