import { JOB_COLUMNS } from '../job-row';
import type { SchemaNames } from '../schema-name';
import { ERROR_SIGNATURE } from './admin-where';
import { finishedState, type Statement } from './statement';

/** Finished states, written as a literal so that the planner can use `jobs_finished_list_idx`. */
const FINISHED = finishedState();

/**
 * The operators' statements beyond the list: dead letters grouped by error, run now, delete, clean,
 * queue concurrency and the audit log. Each reads a bounded index range.
 */
export function operatorStatements({ jobs, events, audit, queues, wakeChannel }: SchemaNames) {
  return {
    /**
     * The newest $3 failed jobs (of queue $1 and type $2 when given; state list index, newest
     * first, from `jobs_failed_idx`), grouped by queue, type and error signature, most failures first, at most $4 groups;
     * `scanned` (on every row) is how many failed jobs were read, `oldest` the smallest id read.
     */
    deadLetterGroups: {
      text: `WITH recent AS (
          SELECT id, queue, type, finished_at, ${ERROR_SIGNATURE} AS error FROM ${jobs}
          WHERE state = 'failed' AND ($1::text IS NULL OR queue = $1) AND ($2::text IS NULL OR type = $2)
          ORDER BY id DESC LIMIT $3
        ), groups AS (
          SELECT queue, type, error, count(*)::int AS count, min(finished_at) AS first_failed_at,
            max(finished_at) AS last_failed_at, max(id)::text AS sample_id
          FROM recent GROUP BY queue, type, error
        )
        SELECT g.*, (SELECT count(*) FROM recent)::int AS scanned, (SELECT min(id) FROM recent)::text AS oldest
        FROM groups g ORDER BY g.count DESC, g.last_failed_at DESC, g.queue, g.type, g.error LIMIT $4`,
    },
    /** Whether a failed job older than id $1 exists (of queue $2, type $3 when given). */
    olderFailed: {
      text: `SELECT EXISTS (SELECT 1 FROM ${jobs} WHERE state = 'failed' AND id < $1::bigint
          AND ($2::text IS NULL OR queue = $2) AND ($3::text IS NULL OR type = $3)) AS more`,
    },

    lock: { text: `SELECT ${JOB_COLUMNS} FROM ${jobs} WHERE id = $1 FOR UPDATE` },
    /** A scheduled job $1 becomes ready now; its queue is woken at commit. */
    runNow: {
      text: `WITH u AS (
          UPDATE ${jobs} SET state = 'pending', run_at = now(), updated_at = now()
          WHERE id = $1 AND state = 'scheduled' RETURNING ${JOB_COLUMNS}
        ), woke AS (SELECT pg_notify('${wakeChannel}', queue) FROM u)
        SELECT * FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
    },
    /** An operator action on job $1 (kind $2, actor $3, detail $4). */
    insertEvent: { text: `INSERT INTO ${events} (job_id, kind, actor, detail) VALUES ($1, $2, $3, $4::jsonb)` },
    /** Deletes finished job $1 (its attempts and events go with it). */
    deleteOne: { text: `DELETE FROM ${jobs} WHERE id = $1 AND ${FINISHED} RETURNING id` },

    /**
     * Deletes up to $4 jobs in state $1 finished before now - $2 ms (of queue $3 when given), oldest
     * finished first: one range of the finished-jobs index. Rows another transaction holds are left.
     * Run under `INDEX_RANGES_ONLY`, and with the state compared as `state || ''` (no index on
     * `state` can serve it): on a table never analyzed, the planner otherwise collected every job
     * of the state through the (state, id) index and sorted them, for each batch of 1,000.
     */
    clean: {
      text: `WITH doomed AS (
          SELECT id FROM ${jobs}
          WHERE ${FINISHED} AND (state || '') = $1 AND finished_at < now() - $2::bigint * interval '1 millisecond'
            AND ($3::text IS NULL OR queue = $3)
          ORDER BY finished_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
        )
        DELETE FROM ${jobs} j USING doomed WHERE j.id = doomed.id`,
    },

    /** $1 actor, $2 action, $3 target, $4 detail. */
    insertAudit: {
      text: `INSERT INTO ${audit} (actor, action, target, detail) VALUES ($1, $2, $3, $4::jsonb)`,
    },
    /** The audit log, newest first: below id $1 (when given), at most $2 rows. */
    audit: {
      // Qualified: a bare \`id\` in ORDER BY would be the output column, the id as text.
      text: `SELECT a.id::text AS id, a.at, a.actor, a.action, a.target, a.detail FROM ${audit} a
        WHERE ($1::bigint IS NULL OR a.id < $1) ORDER BY a.id DESC LIMIT $2`,
    },

    /** Sets queue $1's per-node concurrency to $2 (null: the nodes' own), by $3; wakes its loops. */
    setConcurrency: {
      text: `WITH u AS (
          INSERT INTO ${queues} AS q (name, concurrency, concurrency_by, concurrency_at, updated_at)
          VALUES ($1, $2, $3, now(), now())
          ON CONFLICT (name) DO UPDATE SET concurrency = EXCLUDED.concurrency,
            concurrency_by = EXCLUDED.concurrency_by, concurrency_at = now(), updated_at = now()
          RETURNING name, concurrency
        ), woke AS (SELECT pg_notify('${wakeChannel}', $1))
        SELECT * FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
    },
    /** $1 queue: whether it holds unfinished jobs (pending, scheduled, running). */
    queueInUse: {
      text: `SELECT EXISTS (
          SELECT 1 FROM ${jobs} WHERE queue = $1 AND state IN ('pending', 'scheduled', 'running')
        ) AS used`,
    },
    /** $1 queue: deletes its settings row, returning what it held. */
    deleteQueue: {
      text: `DELETE FROM ${queues} WHERE name = $1 RETURNING paused, paused_by AS "pausedBy", concurrency`,
    },
    /** Queues whose concurrency is set at run time. */
    concurrencySettings: { text: `SELECT name, concurrency FROM ${queues} WHERE concurrency IS NOT NULL` },
  } satisfies Record<string, Statement>;
}
