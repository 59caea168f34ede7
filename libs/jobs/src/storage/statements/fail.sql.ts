import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** Fail a batch: $1 ids, $2 attempts, $3 retry delays, $4 outcomes, $5 errors, $6 stacks, $7 start
 * times, $8 the owner. A null delay dead-letters the job (`failed`), a delay schedules a retry.
 * Writes one history row per failed attempt. Fenced and unnamed like `complete`; it joins the
 * batch's values to the rows (`state IN ('running', '')`: see `ownedAttemptsFence`). */
export function failStatement({ jobs, attempts }: SchemaNames): Statement {
  return {
    text: `WITH d AS (
        SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
          AS d(id, attempt, delay_ms, outcome, error, stack, started_at)
      ), u AS (
        UPDATE ${jobs} j
        SET state = CASE WHEN d.delay_ms IS NULL THEN 'failed' ELSE 'scheduled' END,
            run_at = CASE WHEN d.delay_ms IS NULL THEN j.run_at ELSE now() + d.delay_ms * interval '1 millisecond' END,
            finished_at = CASE WHEN d.delay_ms IS NULL THEN now() END,
            last_error = d.error, locked_by = NULL, locked_until = NULL, updated_at = now()
        FROM d
        WHERE j.id = d.id AND j.state IN ('running', '') AND j.locked_by = $8 AND j.attempts = d.attempt
        RETURNING j.id, j.attempts, j.replays
      )
      INSERT INTO ${attempts} (job_id, replay, attempt, outcome, node_id, started_at, error, stack)
      SELECT u.id, u.replays, u.attempts, d.outcome, $8, d.started_at, d.error, d.stack
      FROM u JOIN d ON d.id = u.id
      RETURNING job_id AS id`,
  };
}
