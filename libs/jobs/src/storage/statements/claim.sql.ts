import { JOB_COLUMNS } from '../job-row';
import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** Claim up to $3 ready jobs of queue $1 whose type is in $2, for node $4 with a lease of $5 ms.
 * Claiming starts the attempt. Nothing is claimed from a paused queue: the pause test depends only
 * on $1, so it is an InitPlan evaluated once per claim (a one-time filter), not per row. */
export function claimStatement({ schema, jobs, queues }: SchemaNames): Statement {
  return {
    name: `${schema}.claim`,
    text: `WITH picked AS (
        SELECT id FROM ${jobs}
        WHERE state = 'pending' AND queue = $1 AND type = ANY($2::text[])
          AND NOT EXISTS (SELECT 1 FROM ${queues} q WHERE q.name = $1 AND q.paused)
        ORDER BY priority DESC, run_at, id
        LIMIT $3
        FOR UPDATE SKIP LOCKED
      )
      UPDATE ${jobs} j
      SET state = 'running', attempts = j.attempts + 1, locked_by = $4,
          locked_until = now() + $5::int * interval '1 millisecond', started_at = now(), updated_at = now()
      FROM picked WHERE j.id = picked.id
      RETURNING ${JOB_COLUMNS.split(', ')
        .map((c) => `j.${c}`)
        .join(', ')}`,
  };
}
