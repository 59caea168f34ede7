import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/**
 * Statements of the queue statistics: job counts by queue and state, the oldest waiting job, and
 * the per-minute throughput roll-up. None runs per job: they run per cache refresh (every few
 * seconds at most), and each worker node adds its outcomes to the roll-up every two seconds.
 */
export function statsStatements({ jobs, queueStats }: SchemaNames) {
  return {
    /** Every job counted by queue and state: a small table's snapshot behind the queue list (run
     * with a statement timeout, at most every few seconds, shared by every request). */
    countAll: { text: `SELECT queue, state, count(*)::bigint AS n FROM ${jobs} GROUP BY queue, state` },

    /**
     * Up to $1 jobs of each unfinished state, by queue: each branch reads its state's partial index
     * (ready, scheduled, running) and stops after $1 rows, whatever the table's size or statistics
     * (run with sequential and bitmap scans off). A state with $1 rows was cut short: it is
     * estimated instead.
     */
    countLiveBounded: {
      text: `SELECT queue, state, count(*)::bigint AS n FROM (
          (SELECT queue, state FROM ${jobs} WHERE state = 'pending' LIMIT $1)
          UNION ALL (SELECT queue, state FROM ${jobs} WHERE state = 'scheduled' LIMIT $1)
          UNION ALL (SELECT queue, state FROM ${jobs} WHERE state = 'running' LIMIT $1)) live
        GROUP BY queue, state`,
    },

    /** The table's size in pages, from its file (no rows read, no statistics needed). */
    tablePages: {
      text: `SELECT (pg_relation_size('${jobs}'::regclass) / current_setting('block_size')::int)::float8 AS pages`,
    },

    /** Every state estimated from a sample of $1 percent of the table's pages (TABLESAMPLE SYSTEM:
     * the pages are picked at random, the cost is the sample's, whatever the table's size). */
    countSampled: {
      text: `SELECT queue, state, round(count(*) * 100.0 / $1::float8)::bigint AS n
        FROM ${jobs} TABLESAMPLE SYSTEM ($1::float8) GROUP BY queue, state`,
    },

    /**
     * The longest-waiting ready job of each queue, without reading every pending job: a skip scan
     * of the ready index (queue, priority DESC, run_at, id) visits each (queue, priority) pair
     * once, and takes the first run time of each pair (the index's order); the minimum per queue.
     */
    oldestPending: {
      text: `WITH RECURSIVE pairs(queue, priority) AS (
          (SELECT queue, priority FROM ${jobs} WHERE state = 'pending' ORDER BY queue, priority DESC LIMIT 1)
          UNION ALL
          SELECT nxt.queue, nxt.priority FROM pairs p CROSS JOIN LATERAL (
            SELECT * FROM (
              (SELECT j.queue, j.priority FROM ${jobs} j WHERE j.state = 'pending' AND j.queue = p.queue
                AND j.priority < p.priority ORDER BY j.queue, j.priority DESC LIMIT 1)
              UNION ALL
              (SELECT j.queue, j.priority FROM ${jobs} j WHERE j.state = 'pending' AND j.queue > p.queue
                ORDER BY j.queue, j.priority DESC LIMIT 1)) c LIMIT 1) nxt
        )
        SELECT p.queue, min(o.run_at) AS oldest FROM pairs p CROSS JOIN LATERAL (
          SELECT j.run_at FROM ${jobs} j WHERE j.state = 'pending' AND j.queue = p.queue AND j.priority = p.priority
          ORDER BY j.queue, j.priority DESC, j.run_at LIMIT 1) o
        GROUP BY p.queue`,
    },

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
