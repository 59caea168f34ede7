import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/**
 * Claim up to $3 ready jobs of queue $1 whose type is in $2, for node $4 with a lease of $5 ms, in
 * claim order (priority, then run time, then id). Claiming starts the attempt (counted, `started_at`
 * set). Nothing is claimed from a paused queue (an InitPlan, evaluated once per claim). The
 * statement is the function of migration 5, whose plan does not depend on statistics.
 */
export function claimStatement({ schema, quoted }: SchemaNames): Statement {
  return {
    name: `${schema}.claim`,
    text: `SELECT * FROM ${quoted}.claim_jobs($1, $2, $3, $4, $5)`,
  };
}
