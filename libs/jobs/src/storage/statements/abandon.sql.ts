import type { SchemaNames } from '../schema-name';
import { requeueLostCtes } from './requeue-lost.sql';
import { ownedAttemptsFence, type Statement } from './statement';

/**
 * Give up attempts whose handler the owner aborted because it could no longer prove its lease ($1 ids,
 * $2 `<id>:<attempt>` keys, $3 owner): a `lost` attempt like a dead node's, the job retried at once
 * (or failed when no attempts remain). Fenced: an attempt another node already took back is left alone.
 */
export function abandonStatement(names: SchemaNames): Statement {
  return {
    text: `WITH lost AS (
        SELECT j.id, j.locked_by, j.started_at FROM ${names.jobs} j
        WHERE ${ownedAttemptsFence('$3')}
        FOR UPDATE
      ), ${requeueLostCtes(names, `'Lease not proven in time: node ' || lost.locked_by || ' aborted the handler'`)}
      SELECT id FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
  };
}
