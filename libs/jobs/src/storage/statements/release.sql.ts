import type { SchemaNames } from '../schema-name';
import { ownedAttemptsFence, type Statement } from './statement';

/** Hand unfinished jobs back at shutdown ($1 ids, $2 `<id>:<attempt>` keys, $3 owner): ready again at once, the
 * attempt not counted. The run time is kept, so they go ahead of jobs that arrived after them. */
export function releaseStatement({ jobs, wakeChannel }: SchemaNames): Statement {
  return {
    text: `WITH u AS (
        UPDATE ${jobs} j
        SET state = 'pending', attempts = j.attempts - 1, started_at = NULL,
            locked_by = NULL, locked_until = NULL, updated_at = now()
        WHERE ${ownedAttemptsFence('$3')}
        RETURNING j.id, j.queue
      ), woke AS (SELECT pg_notify('${wakeChannel}', queue) FROM (SELECT DISTINCT queue FROM u) q)
      SELECT id FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
  };
}
