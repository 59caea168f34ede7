import { JOB_COLUMNS } from '../job-row';
import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** The jobs holding idempotency keys: $1 types, $2 keys (pairwise), $3 window ms. A key whose job
 * finished more than the window ago is released here (so it can be reused at once, whether or not
 * maintenance ran) and its job is not returned. Unnamed: its arrays vary in length. */
export function findIdempotentStatement({ jobs }: SchemaNames): Statement {
  return {
    text: `WITH k AS (
        SELECT * FROM unnest($1::text[], $2::text[]) AS k(k_type, k_key)
      ), expired AS (
        UPDATE ${jobs} j SET idempotency_active = false
        FROM k
        WHERE j.type = k.k_type AND j.idempotency_key = k.k_key AND j.idempotency_active
          AND j.finished_at < now() - $3::bigint * interval '1 millisecond'
        RETURNING j.id
      )
      SELECT ${JOB_COLUMNS} FROM ${jobs} JOIN k ON type = k.k_type AND idempotency_key = k.k_key
      WHERE idempotency_active AND (finished_at IS NULL OR finished_at >= now() - $3::bigint * interval '1 millisecond')`,
  };
}

/** Release up to $2 idempotency keys whose job finished more than $1 ms ago (maintenance). */
export function expireIdempotencyKeysStatement({ jobs }: SchemaNames): Statement {
  return {
    text: `UPDATE ${jobs} SET idempotency_active = false
      WHERE id IN (SELECT id FROM ${jobs}
        WHERE idempotency_active AND finished_at IS NOT NULL AND finished_at < now() - $1::bigint * interval '1 millisecond'
        ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  };
}
