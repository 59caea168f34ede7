import type { SchemaNames } from '../schema-name';
import { ownedAttemptsFence, type Statement } from './statement';

/** Extend the leases of the owner's running attempts to $4 ms ($1 ids, $2 `<id>:<attempt>` keys, $3 owner); the
 * ids not returned are no longer the owner's. */
export function renewStatement({ jobs }: SchemaNames): Statement {
  return {
    text: `UPDATE ${jobs} j SET locked_until = now() + $4::int * interval '1 millisecond'
      WHERE ${ownedAttemptsFence('$3')}
      RETURNING j.id`,
  };
}
