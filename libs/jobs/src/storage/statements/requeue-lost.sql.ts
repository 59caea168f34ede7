import type { SchemaNames } from '../schema-name';

/**
 * The common tail of the statements that take running jobs back from a node that no longer runs
 * them (lease expired, node dead). It follows a CTE `lost (id, locked_by, started_at)` of the jobs,
 * locked, and adds:
 * - `u`: each job back to `pending` (its run time kept, so it goes ahead of newer jobs), or to
 *   `failed` when no attempts remain; `reason` is the SQL expression of its error text;
 * - `hist`: a `lost` attempt row per job, naming the node that had it;
 * - `woke`: a notification per queue that has jobs ready again.
 * `u` returns id, queue, attempts, replays, state and last_error.
 */
export function requeueLostCtes({ jobs, attempts, wakeChannel }: SchemaNames, reason: string): string {
  return `u AS (
          UPDATE ${jobs} j
          SET state = CASE WHEN j.attempts >= j.max_attempts THEN 'failed' ELSE 'pending' END,
              finished_at = CASE WHEN j.attempts >= j.max_attempts THEN now() END,
              last_error = ${reason},
              locked_by = NULL, locked_until = NULL, updated_at = now()
          FROM lost WHERE j.id = lost.id
          RETURNING j.id, j.queue, j.attempts, j.replays, j.state, j.last_error
        ), hist AS (
          INSERT INTO ${attempts} (job_id, replay, attempt, outcome, node_id, started_at, error)
          SELECT u.id, u.replays, u.attempts, 'lost', lost.locked_by, lost.started_at, u.last_error
          FROM u JOIN lost ON lost.id = u.id
        ), woke AS (
          SELECT pg_notify('${wakeChannel}', queue) FROM (SELECT DISTINCT queue FROM u WHERE state = 'pending') q
        )`;
}
