import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** Extend the leases of the owner's running attempts to $4 ms ($1 ids, $2 attempts, $3 owner); the
 * ids not returned are no longer the owner's. */
export function renewStatement({ jobs }: SchemaNames): Statement {
  return {
    text: `UPDATE ${jobs} j SET locked_until = now() + $4::int * interval '1 millisecond'
      FROM unnest($1::bigint[], $2::int[]) AS d(id, attempt)
      WHERE j.id = d.id AND j.state = 'running' AND j.locked_by = $3 AND j.attempts = d.attempt
      RETURNING j.id`,
  };
}
