import { quoteSchema, wakeChannel } from './schema-name';

/**
 * Statements of the queue settings (pause), the queue and worker overviews, the throughput roll-up
 * and the change feed of the events stream. None of them runs per job: they run per request, per
 * cache refresh (every few seconds at most) or once a second while someone watches the stream.
 */
export function createStatsSql(schema: string) {
  const s = quoteSchema(schema);
  const t = `${s}.jobs`;
  const wake = wakeChannel(schema);
  const queueColumns = 'name, paused, paused_at, paused_by, updated_at';
  return {
    /** $1 queue, $2 actor. A repeated pause keeps who paused it first and when. */
    pause: `INSERT INTO ${s}.queues AS q (name, paused, paused_at, paused_by, updated_at)
      VALUES ($1, true, now(), $2, now())
      ON CONFLICT (name) DO UPDATE SET paused = true,
        paused_at = CASE WHEN q.paused THEN q.paused_at ELSE now() END,
        paused_by = CASE WHEN q.paused THEN q.paused_by ELSE EXCLUDED.paused_by END,
        updated_at = now()
      RETURNING ${queueColumns}`,

    /** $1 queue. Wakes the queue's workers on every node at once (delivered at commit). */
    resume: `WITH u AS (
        INSERT INTO ${s}.queues AS q (name, paused, updated_at) VALUES ($1, false, now())
        ON CONFLICT (name) DO UPDATE SET paused = false, paused_at = NULL, paused_by = NULL, updated_at = now()
        RETURNING ${queueColumns}
      ), woke AS (SELECT pg_notify('${wake}', $1))
      SELECT * FROM u WHERE (SELECT count(*) FROM woke) >= 0`,

    queues: `SELECT ${queueColumns} FROM ${s}.queues`,

    /** Every job counted by queue and state: the snapshot behind the queue list (run with a
     * statement timeout, at most every few seconds, shared by every request). */
    countAll: `SELECT queue, state, count(*)::bigint AS n FROM ${t} GROUP BY queue, state`,

    /** The unfinished states only, each served by its partial index: the fallback when counting
     * everything runs out of time on a very large table. */
    countLive: `SELECT queue, state, count(*)::bigint AS n FROM ${t}
      WHERE state IN ('pending', 'scheduled', 'running') GROUP BY queue, state`,

    /** The longest-waiting ready job of each queue (pending jobs only: the ready index). */
    oldestPending: `SELECT queue, min(run_at) AS oldest FROM ${t} WHERE state = 'pending' GROUP BY queue`,

    workers: `SELECT id, hostname, pid, started_at, last_seen, queues, running, stopping
      FROM ${s}.workers ORDER BY started_at, id`,

    /** Running jobs with their owner (the running index; bounded by the cluster's slots). */
    runningJobs: `SELECT id, type, queue, started_at, locked_by FROM ${t}
      WHERE state = 'running' ORDER BY started_at, id`,

    /** $1 queues, $2 minutes, $3 completed, $4 failed, $5 retried: add a node's outcomes. */
    addMinutes: `INSERT INTO ${s}.queue_stats AS q (queue, minute, completed, failed, retried)
      SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[])
      ON CONFLICT (minute, queue) DO UPDATE SET completed = q.completed + EXCLUDED.completed,
        failed = q.failed + EXCLUDED.failed, retried = q.retried + EXCLUDED.retried`,

    /** $1 from (inclusive): per queue and minute. */
    minutesSince: `SELECT queue, minute, completed::int AS completed, failed::int AS failed, retried::int AS retried
      FROM ${s}.queue_stats WHERE minute >= $1 ORDER BY minute`,

    /** $1 older than this: dropped. */
    pruneMinutes: `DELETE FROM ${s}.queue_stats WHERE minute < $1`,

    /** Change feed: the newest jobs after id $1 (primary key), at most $2. */
    newJobs: `SELECT id, state, queue, type FROM ${t} WHERE id > $1 ORDER BY id DESC LIMIT $2`,

    /** Change feed: the current state of jobs being watched ($1 ids; primary key lookups). */
    jobStates: `SELECT id, state, queue, type FROM ${t} WHERE id = ANY($1::bigint[])`,

    /** Change feed: jobs running now (running index). */
    running: `SELECT id, state, queue, type FROM ${t} WHERE state = 'running' LIMIT $1`,

    maxId: `SELECT coalesce(max(id), 0)::text AS id FROM ${t}`,
  };
}

export type StatsSql = ReturnType<typeof createStatsSql>;
