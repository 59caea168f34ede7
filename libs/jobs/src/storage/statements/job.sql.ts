import { JOB_COLUMNS } from '../job-row';
import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** The single-job reads and operator actions: get, cancel, replay, and their audit rows. None of them
 * runs per job on the hot path. */
export function jobStatements({ jobs, attempts, events, wakeChannel, cancelChannel }: SchemaNames) {
  return {
    get: { text: `SELECT ${JOB_COLUMNS} FROM ${jobs} WHERE id = $1` },
    lock: { text: `SELECT ${JOB_COLUMNS} FROM ${jobs} WHERE id = $1 FOR UPDATE` },
    attempts: {
      text: `SELECT attempt, replay, outcome, node_id, started_at, finished_at, error, stack
        FROM ${attempts} WHERE job_id = $1 ORDER BY id`,
    },
    /** Pending + scheduled jobs of queue $1, counted up to $2 (bounded, on the ready index). */
    countWaiting: {
      text: `SELECT count(*)::int AS n FROM (
          SELECT 1 FROM ${jobs} WHERE queue = $1 AND state IN ('pending', 'scheduled') LIMIT $2
        ) x`,
    },
    cancel: {
      text: `UPDATE ${jobs}
        SET state = 'canceled', finished_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
        WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
    },
    cancelAttempt: {
      text: `INSERT INTO ${attempts} (job_id, replay, attempt, outcome, node_id, started_at, error)
        VALUES ($1, $2, $3, 'canceled', $4, $5, 'Canceled while running')`,
    },
    notifyCancel: { text: `SELECT pg_notify('${cancelChannel}', $1)` },
    replay: {
      text: `UPDATE ${jobs}
        SET state = 'pending', attempts = 0, replays = replays + 1, run_at = now(), started_at = NULL,
            finished_at = NULL, last_error = NULL, updated_at = now(), payload = COALESCE($2::jsonb, payload)
        WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
    },
    notifyWake: { text: `SELECT pg_notify('${wakeChannel}', $1)` },
    /** An operator action on job $1 (kind $2, by actor $3, detail $4), for the audit trail. */
    insertEvent: { text: `INSERT INTO ${events} (job_id, kind, actor, detail) VALUES ($1, $2, $3, $4::jsonb)` },
    /** A handler's own report (`ctx.log`, `ctx.progress`): $1 job, $2 kind, $3 owner, $4 detail,
     * $5 attempt. Written only while that attempt still runs under that owner. */
    runEvent: {
      text: `INSERT INTO ${events} (job_id, kind, actor, detail)
        SELECT id, $2, $3, $4::jsonb FROM ${jobs}
        WHERE id = $1 AND state = 'running' AND locked_by = $3 AND attempts = $5
        RETURNING id`,
    },
  } satisfies Record<string, Statement>;
}
