import { hostname } from 'node:os';
import type { Database, Queryable } from './database';
import { nodeStatements } from './statements/nodes.sql';
import { withValues } from './statements/statement';

/** Server-side TCP keepalive on the node's session: PostgreSQL notices a vanished peer host in
 * about 5 + 2 × 3 = 11 s instead of the operating system's default of hours. */
const KEEPALIVE = 'SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 2; SET tcp_keepalives_count = 3';

/** What a liveness sweep did. */
export interface SweepResult {
  /** Nodes declared dead and removed from the registry. */
  nodes: string[];
  /** Running jobs taken back from them. */
  jobs: number;
  /** Jobs taken back, by queue. */
  queues: Record<string, number>;
}

/** A live node, as the registry has it. */
export interface NodeRow {
  id: string;
  hostname: string;
  pid: number;
  started_at: Date;
  last_seen: Date;
  queues: Record<string, number>;
  running: number;
  stopping: boolean;
}

export interface RunningJobRow {
  id: string;
  type: string;
  queue: string;
  started_at: Date | null;
  locked_by: string;
}

/** The registry of live nodes (`<schema>.nodes`) and session liveness. */
export class NodesRepository {
  private readonly sql;

  constructor(private readonly db: Database) {
    this.sql = nodeStatements(db.names);
  }

  /**
   * Registers node `id` on `session` (its dedicated connection): takes the session's advisory lock
   * (`lockKey`, or a fresh key), then writes the registry row naming it. Returns the key held.
   */
  async registerSession(
    session: Queryable,
    node: { id: string; queues: Record<string, number>; leaseMs: number },
    lockKey: number | null,
  ): Promise<number> {
    await session.query({ text: KEEPALIVE });
    let key = lockKey;
    for (let tries = 0; tries < 5; tries++) {
      key ??= (await session.query<{ key: number }>(this.sql.nextLockKey)).rows[0].key;
      const res = await session.query<{ locked: boolean }>(withValues(this.sql.tryLock, [key]));
      if (res.rows[0].locked) {
        await session.query(
          withValues(this.sql.register, [
            node.id,
            hostname(),
            process.pid,
            key,
            JSON.stringify(node.queues),
            node.leaseMs,
          ]),
        );
        return key;
      }
      key = null; // held by another session (the key sequence wrapped): take a fresh one
    }
    throw new Error('could not take a liveness lock after 5 keys');
  }

  /** Returns false when the registry no longer has this node: others declared it dead. `timeoutMs`: see
   * `AttemptsRepository.renew`. */
  async heartbeat(id: string, running: number, stopping: boolean, timeoutMs: number): Promise<boolean> {
    const res = await this.db.query(withValues(this.sql.heartbeat, [id, running, stopping]), timeoutMs);
    return (res.rowCount ?? 0) > 0;
  }

  /** Notes the nodes whose session lock was found free, then declares dead nodes dead and takes their
   * running jobs back (see the statements). */
  async sweep(callerId: string, staleMs: number, restartGraceMs: number, sessionGraceMs: number): Promise<SweepResult> {
    await this.db.query(this.sql.markLockLost);
    const res = await this.db.query<SweepResult>(
      withValues(this.sql.sweep, [callerId, staleMs, restartGraceMs, sessionGraceMs]),
    );
    return res.rows[0];
  }

  async remove(id: string): Promise<void> {
    await this.db.query(withValues(this.sql.remove, [id]));
  }

  async list(): Promise<NodeRow[]> {
    return (await this.db.query<NodeRow>(this.sql.list)).rows;
  }

  async runningJobs(): Promise<RunningJobRow[]> {
    return (await this.db.query<RunningJobRow>(this.sql.runningJobs)).rows;
  }
}
