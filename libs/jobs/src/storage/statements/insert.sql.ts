import { INSERTED_COLUMNS } from '../job-row';
import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** `now() + delay`, or the given run time: $6 run at, $7 delay ms. */
const RUN_AT = `COALESCE($6::timestamptz, now() + COALESCE($7::bigint, 0) * interval '1 millisecond')`;

/** One job; announces its queue when it is ready now. $1 queue … $7 delay ms, $8 idempotency key.
 * Returns what the database decided (`INSERTED_COLUMNS`; the rest of the job is the caller's), or
 * no row when a job of the type already holds the key (see `findIdempotent`). */
export function insertOneStatement({ schema, jobs, wakeChannel }: SchemaNames): Statement {
  return {
    name: `${schema}.insert_one`,
    text: `WITH ins AS (
        INSERT INTO ${jobs} (queue, type, payload, priority, max_attempts, run_at, state, idempotency_key, idempotency_active)
        SELECT $1, $2, $3::jsonb, $4, $5, r.at, CASE WHEN r.at > now() THEN 'scheduled' ELSE 'pending' END,
               $8::text, $8::text IS NOT NULL
        FROM (SELECT ${RUN_AT} AS at) r
        ON CONFLICT (type, idempotency_key) WHERE idempotency_active DO NOTHING
        RETURNING ${INSERTED_COLUMNS}, queue
      ), woke AS (SELECT pg_notify('${wakeChannel}', queue) FROM ins WHERE state = 'pending')
      SELECT id, state, run_at_ms, created_at_ms, type, idempotency_key FROM ins WHERE (SELECT count(*) FROM woke) >= 0`,
  };
}

/** Many jobs in one statement, from $1: a JSON array of rows `{q, ty, p, pr, ma, at, dl, k}` (queue,
 * type, payload, priority, max attempts, run at, delay ms, idempotency key; one JSON text is
 * cheaper to send and read than eight arrays of escaped text). One notification per distinct ready
 * queue. Rows whose idempotency key is already held by a job of their type are skipped; the others
 * come back in id order, which is input order. */
export function insertManyStatement({ schema, jobs, wakeChannel }: SchemaNames): Statement {
  return {
    name: `${schema}.insert_many`,
    text: `WITH d AS (
        SELECT q, ty, p, pr, ma, COALESCE(at, now() + COALESCE(dl, 0) * interval '1 millisecond') AS at, k, ord
        FROM ROWS FROM (jsonb_to_recordset($1::jsonb)
            AS (q text, ty text, p jsonb, pr int, ma int, at timestamptz, dl bigint, k text))
          WITH ORDINALITY AS u(q, ty, p, pr, ma, at, dl, k, ord)
      ), ins AS (
        INSERT INTO ${jobs} (queue, type, payload, priority, max_attempts, run_at, state, idempotency_key, idempotency_active)
        SELECT q, ty, p, pr, ma, at, CASE WHEN at > now() THEN 'scheduled' ELSE 'pending' END, k, k IS NOT NULL
        FROM d ORDER BY ord
        ON CONFLICT (type, idempotency_key) WHERE idempotency_active DO NOTHING
        RETURNING ${INSERTED_COLUMNS}, queue
      ), woke AS (
        SELECT pg_notify('${wakeChannel}', queue) FROM (SELECT DISTINCT queue FROM ins WHERE state = 'pending') q
      )
      SELECT id, state, run_at_ms, created_at_ms, type, idempotency_key FROM ins WHERE (SELECT count(*) FROM woke) >= 0 ORDER BY id`,
  };
}

/**
 * One job that this node starts at once (an enqueue on a node with a free slot in an idle queue):
 * inserted already claimed by node $6 for a lease of $7 ms, its first attempt started, so no claim
 * round trip stands between the enqueue and the start. $1 queue, $2 type, $3 payload, $4 priority,
 * $5 max attempts. In a paused queue it is inserted `pending` instead, and announced: nothing starts.
 */
export function insertStartedStatement({ schema, jobs, queues, wakeChannel }: SchemaNames): Statement {
  return {
    name: `${schema}.insert_started`,
    text: `WITH p AS (SELECT EXISTS (SELECT 1 FROM ${queues} q WHERE q.name = $1 AND q.paused) AS paused
      ), ins AS (
        INSERT INTO ${jobs} (queue, type, payload, priority, max_attempts, state, attempts, locked_by, locked_until, started_at)
        SELECT $1, $2, $3::jsonb, $4, $5,
               CASE WHEN p.paused THEN 'pending' ELSE 'running' END,
               CASE WHEN p.paused THEN 0 ELSE 1 END,
               CASE WHEN p.paused THEN NULL ELSE $6 END,
               CASE WHEN p.paused THEN NULL ELSE now() + $7::int * interval '1 millisecond' END,
               CASE WHEN p.paused THEN NULL ELSE now() END
        FROM p
        RETURNING ${INSERTED_COLUMNS}, queue
      ), woke AS (SELECT pg_notify('${wakeChannel}', queue) FROM ins WHERE state = 'pending')
      SELECT id, state, run_at_ms, created_at_ms, type, idempotency_key FROM ins WHERE (SELECT count(*) FROM woke) >= 0`,
  };
}
