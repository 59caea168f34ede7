import type { SchemaNames } from '../schema-name';
import { requeueLostCtes } from './requeue-lost.sql';
import type { Statement } from './statement';

/** Take back up to $1 running jobs whose lease ended: retried if attempts remain, else dead. The
 * lost attempt is recorded. */
export function reclaimExpiredStatement(names: SchemaNames): Statement {
  return {
    name: `${names.schema}.reclaim_expired`,
    text: `WITH lost AS (
        SELECT id, locked_by, started_at FROM ${names.jobs}
        WHERE state = 'running' AND locked_until < now()
        ORDER BY locked_until LIMIT $1
        FOR UPDATE SKIP LOCKED
      ), ${requeueLostCtes(names, `'Lease expired: node ' || lost.locked_by || ' stopped renewing it'`)}
      SELECT id, state, queue FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
  };
}
