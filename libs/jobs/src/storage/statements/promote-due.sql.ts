import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** Up to $1 scheduled jobs (delayed, or waiting for a retry) whose time has come become pending,
 * and their queues are woken. Claims take only pending jobs, so they never walk future ones. */
export function promoteDueStatement({ schema, jobs, wakeChannel }: SchemaNames): Statement {
  return {
    name: `${schema}.promote_due`,
    text: `WITH u AS (
        UPDATE ${jobs} SET state = 'pending', updated_at = now()
        WHERE id IN (
          SELECT id FROM ${jobs} WHERE state = 'scheduled' AND run_at <= now()
          ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING queue
      ), woke AS (SELECT pg_notify('${wakeChannel}', queue) FROM (SELECT DISTINCT queue FROM u) q)
      SELECT count(*)::int AS n FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
  };
}
