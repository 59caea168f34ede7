import type { Database } from './database';
import { maintenanceStatements, WATCHED_TABLES } from './statements/maintenance.sql';
import { withValues } from './statements/statement';

/** A watched table's activity since its last vacuum and analyze. */
export interface TableStats {
  table: string;
  live: number;
  dead: number;
  /** Rows changed since the last analyze. */
  modified: number;
  /** The planner's row count; -1 when the table was never vacuumed or analyzed. */
  reltuples: number;
  /** Seconds since the last vacuum or analyze (by anyone); null: never. */
  vacuumed_s_ago: number | null;
  analyzed_s_ago: number | null;
  /** Whether autovacuum is on for the table. */
  autovacuum: boolean;
  /** Whether a vacuum is running on the table now. */
  vacuum_running: boolean;
}

/** Retention (pruning finished jobs) and the upkeep of the module's tables. */
export class MaintenanceRepository {
  private readonly sql;
  /** The backend running this node's upkeep now, if any (so a stopping node can cancel it). */
  private upkeepBackend: number | null = null;

  constructor(private readonly db: Database) {
    this.sql = maintenanceStatements(db.names);
  }

  /** Deletes up to `limit` jobs in `state` finished more than `olderThanMs` ago, of `queue` (or of
   * any queue but `exceptQueues`). Returns how many. */
  async prune(
    state: string,
    olderThanMs: number,
    queue: string | null,
    exceptQueues: string[],
    limit: number,
  ): Promise<number> {
    // The finished-jobs index is the only plan: without statistics (a table filled in bulk, never
    // analyzed) the planner took a bitmap of every finished job of the state (0.1-0.7 s a round).
    return this.db.transaction(async (client) => {
      await client.query(this.sql.indexScansOnly);
      const res = await client.query(withValues(this.sql.prune, [state, olderThanMs, queue, exceptQueues, limit]));
      return res.rowCount ?? 0;
    });
  }

  /** Deletes up to `limit` audit rows written more than `olderThanMs` ago; returns how many. */
  async pruneAudit(olderThanMs: number, limit: number): Promise<number> {
    return (await this.db.query(withValues(this.sql.pruneAudit, [olderThanMs, limit]))).rowCount ?? 0;
  }

  async tableStats(): Promise<TableStats[]> {
    return (await this.db.query<TableStats>(withValues(this.sql.tableStats, [WATCHED_TABLES]))).rows;
  }

  /**
   * Runs `VACUUM (ANALYZE)` (or only `ANALYZE`) on each of `tables`, on a connection of its own (a
   * vacuum may take a while; the pool stays free), unless another node is at it. Returns false when
   * another node held the upkeep lock. Not throttled: a vacuum slows the jobs while it runs (about
   * -45 % measured on a 1M-row table, throttled or not), so the sooner it ends the better.
   */
  async upkeep(tables: Array<{ table: string; vacuum: boolean }>): Promise<boolean> {
    const client = this.db.dedicatedClient();
    client.on('error', () => undefined);
    await client.connect();
    this.upkeepBackend = (client as unknown as { processID: number | null }).processID ?? null;
    try {
      const { rows } = await client.query<{ locked: boolean }>(this.sql.tryUpkeepLock);
      if (!rows[0].locked) return false;
      try {
        for (const { table, vacuum } of tables) {
          if (!(WATCHED_TABLES as readonly string[]).includes(table)) throw new Error(`not a watched table: ${table}`);
          await client.query(`${vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} ${this.db.names.quoted}."${table}"`);
        }
      } finally {
        await client.query(this.sql.upkeepUnlock).catch(() => undefined);
      }
      return true;
    } finally {
      this.upkeepBackend = null;
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Cancels the upkeep under way on this node (it is stopping). Closing the connection is not
   * enough: PostgreSQL carries a running VACUUM on to its end without its client.
   */
  async cancelUpkeep(): Promise<void> {
    if (this.upkeepBackend === null) return;
    await this.db.query(withValues(this.sql.cancelBackend, [this.upkeepBackend]));
  }
}
