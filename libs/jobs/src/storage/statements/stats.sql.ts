import type { SchemaNames } from '../schema-name';
import { finishedState, type Statement } from './statement';

/**
 * Statements of the queue statistics: job counts by queue and state, the oldest waiting job, and
 * the per-minute throughput roll-up. None runs per job: they run per cache refresh (every few
 * seconds at most), and each worker node adds its outcomes to the roll-up every two seconds.
 */
export function statsStatements({ jobs, queueStats }: SchemaNames) {
  return {
    /** Every job counted by queue and state: the snapshot behind the queue list (run with a
     * statement timeout, at most every few seconds, shared by every request). */
    countAll: { text: `SELECT queue, state, count(*)::bigint AS n FROM ${jobs} GROUP BY queue, state` },

    /** The unfinished states only, each served by its partial index: the fallback when counting
     * everything runs out of time on a very large table. */
    countLive: {
      text: `SELECT queue, state, count(*)::bigint AS n FROM ${jobs}
        WHERE state IN ('pending', 'scheduled', 'running') GROUP BY queue, state`,
    },

    /** The planner's row count of the table (-1 or 0 before its first ANALYZE): no rows read. */
    tableSize: { text: `SELECT reltuples::float8 AS n FROM pg_class WHERE oid = '${jobs}'::regclass` },

    /** The finished states estimated from a sample of $1 percent of the table's pages (TABLESAMPLE
     * SYSTEM: the pages are picked at random, the cost is the sample's, whatever the table's size). */
    countFinishedSampled: {
      text: `SELECT queue, state, round(count(*) * 100.0 / $1::float8)::bigint AS n
        FROM ${jobs} TABLESAMPLE SYSTEM ($1::float8)
        WHERE ${finishedState()} GROUP BY queue, state`,
    },

    /** The longest-waiting ready job of each queue (pending jobs only: the ready index). */
    oldestPending: { text: `SELECT queue, min(run_at) AS oldest FROM ${jobs} WHERE state = 'pending' GROUP BY queue` },

    /** $1 queues, $2 minutes, $3 completed, $4 failed, $5 retried: add a node's outcomes. */
    addMinutes: {
      text: `INSERT INTO ${queueStats} AS q (queue, minute, completed, failed, retried)
        SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[])
        ON CONFLICT (minute, queue) DO UPDATE SET completed = q.completed + EXCLUDED.completed,
          failed = q.failed + EXCLUDED.failed, retried = q.retried + EXCLUDED.retried`,
    },

    /** $1 from (inclusive): per queue and minute. */
    minutesSince: {
      text: `SELECT queue, minute, completed::int AS completed, failed::int AS failed, retried::int AS retried
        FROM ${queueStats} WHERE minute >= $1 ORDER BY minute`,
    },

    /** $1 older than this: dropped. */
    pruneMinutes: { text: `DELETE FROM ${queueStats} WHERE minute < $1` },
  } satisfies Record<string, Statement>;
}
