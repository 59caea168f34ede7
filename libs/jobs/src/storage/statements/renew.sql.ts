import type { SchemaNames } from '../schema-name';
import { ownedAttemptsFence, type Statement } from './statement';

/** Extend the leases of the owner's running attempts to $4 ms ($1 ids, $2 `<id>:<attempt>` keys, $3 owner). Returns
 * the keys of the attempts renewed: an attempt not returned is no longer the owner's (an older attempt of a job the
 * owner claimed again is not, even though its id is). */
export function renewStatement({ jobs }: SchemaNames): Statement {
  return {
    text: `UPDATE ${jobs} j SET locked_until = now() + $4::int * interval '1 millisecond'
      WHERE ${ownedAttemptsFence('$3')}
      RETURNING j.id::text || ':' || j.attempts::text AS key`,
  };
}
