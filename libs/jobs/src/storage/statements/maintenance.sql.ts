import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** The tables whose upkeep the module watches: the ones that churn. */
export const WATCHED_TABLES = ['jobs', 'job_attempts', 'job_events'] as const;

/** Statements of the maintenance: retention and the upkeep of the module's tables. */
export function maintenanceStatements({ schema, jobs, audit }: SchemaNames) {
  return {
    /** Deletes, of the $2 oldest audit rows (by id, the primary key: a bounded read), those written
     * more than $1 ms ago. Ids grow with time, so the rows past their keep-time come first. */
    pruneAudit: {
      text: `DELETE FROM ${audit} WHERE id IN (SELECT id FROM ${audit} ORDER BY id LIMIT $2)
        AND at < now() - $1::bigint * interval '1 millisecond'`,
    },
    /**
     * Deletes up to $5 jobs in state $1 finished more than $2 ms ago, of queue $3 (null: any queue
     * but those in $4), oldest first, with their history (cascade). A job whose idempotency key
     * still blocks duplicates stays. Walks the finished-jobs index (finish time, id) from its oldest
     * end, so a round reads only the rows past their keep-time: walking the (state, id) list index
     * instead read every finished job of the state to find none due (about a second per round on a
     * million completed jobs, every 5 s on every node). Its plan must not depend on statistics: run
     * after `indexScansOnly`, and with the states written so that no index on `state` can serve
     * them (the OR of equalities proves the finished index's predicate; `state || ''` is not
     * indexable), the finished index is the only sensible plan. On a table filled in bulk and never
     * analyzed, the planner otherwise took the (state, id) index for `state = $1`.
     */
    prune: {
      text: `WITH doomed AS (
          SELECT id FROM ${jobs}
          WHERE (state = 'completed' OR state = 'failed' OR state = 'canceled') AND (state || '') = $1
            AND finished_at < now() - $2::bigint * interval '1 millisecond'
            AND NOT idempotency_active AND ($3::text IS NULL OR queue = $3) AND queue <> ALL($4::text[])
          ORDER BY finished_at, id LIMIT $5 FOR UPDATE SKIP LOCKED
        )
        DELETE FROM ${jobs} j USING doomed WHERE j.id = doomed.id`,
    },

    /** For the rest of a transaction: index scans only (the prune's plan must not depend on statistics). */
    indexScansOnly: { text: `SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off` },

    /** Activity counters of the watched tables, whether autovacuum looks after them, and whether a
     * vacuum (autovacuum's or anyone's) is at one of them now. */
    tableStats: {
      text: `SELECT s.relname AS table, s.n_live_tup::float8 AS live, s.n_dead_tup::float8 AS dead,
          s.n_mod_since_analyze::float8 AS modified, c.reltuples::float8 AS reltuples,
          extract(epoch FROM now() - greatest(s.last_vacuum, s.last_autovacuum))::float8 AS vacuumed_s_ago,
          extract(epoch FROM now() - greatest(s.last_analyze, s.last_autoanalyze))::float8 AS analyzed_s_ago,
          current_setting('autovacuum')::boolean
            AND NOT coalesce('autovacuum_enabled=false' = ANY(c.reloptions), false) AS autovacuum,
          EXISTS (SELECT 1 FROM pg_stat_progress_vacuum p WHERE p.relid = c.oid) AS vacuum_running
        FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.schemaname = '${schema}' AND s.relname = ANY($1::text[])`,
    },

    /** Cancels the statement of backend $1 (this node's upkeep, when the node stops). */
    cancelBackend: { text: `SELECT pg_cancel_backend($1::int)` },

    /** One node at a time looks after the tables (a session lock on its own connection). */
    tryUpkeepLock: { text: `SELECT pg_try_advisory_lock(hashtext('${schema}:upkeep')) AS locked` },
    upkeepUnlock: { text: `SELECT pg_advisory_unlock(hashtext('${schema}:upkeep'))` },
  } satisfies Record<string, Statement>;
}
