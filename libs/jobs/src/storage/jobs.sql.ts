import { JOB_COLUMNS } from './job-row';
import { requeueLostCtes } from './requeue-lost.sql';
import { cancelChannel, quoteSchema, wakeChannel } from './schema-name';

/**
 * Every statement the engine runs, one per operation, parameterised. Single-row hot-path ones carry
 * a name, so `pg` prepares them once per connection (the schema is part of the name, because a
 * process may serve several schemas). The batch writes (complete, fail, release, renew) stay
 * unnamed on purpose: they join an array parameter of any length, and a cached generic plan for
 * them can degrade into a nested loop over every running row (measured: 25 ms planned per call vs
 * 5 s cached, for 1,000 ids against 20,000 running jobs). Only the validated schema name is
 * spliced into the text.
 */
export function createJobsSql(schema: string) {
  const s = quoteSchema(schema);
  const t = `${s}.jobs`;
  const wake = wakeChannel(schema);
  const runAt = `COALESCE($6::timestamptz, now() + COALESCE($7::bigint, 0) * interval '1 millisecond')`;
  return {
    wakeChannel: wake,
    cancelChannel: cancelChannel(schema),

    /** One job; announces its queue when it is ready now. $1 queue … $7 delay ms, $8 idempotency key.
     * Returns no row when a job of the type already holds the key (see `findIdempotent`). */
    insertOne: {
      name: `${schema}.insert_one`,
      text: `WITH ins AS (
          INSERT INTO ${t} (queue, type, payload, priority, max_attempts, run_at, state, idempotency_key, idempotency_active)
          SELECT $1, $2, $3::jsonb, $4, $5, r.at, CASE WHEN r.at > now() THEN 'scheduled' ELSE 'pending' END,
                 $8::text, $8::text IS NOT NULL
          FROM (SELECT ${runAt} AS at) r
          ON CONFLICT (type, idempotency_key) WHERE idempotency_active DO NOTHING
          RETURNING ${JOB_COLUMNS}
        ), woke AS (SELECT pg_notify('${wake}', queue) FROM ins WHERE state = 'pending')
        SELECT * FROM ins WHERE (SELECT count(*) FROM woke) >= 0`,
    },

    /** Many jobs in one statement; one notification per distinct ready queue. Rows whose
     * idempotency key ($8) is already held by a job of their type are skipped (not returned). */
    insertMany: {
      name: `${schema}.insert_many`,
      text: `WITH d AS (
          SELECT q, ty, p, pr, ma, COALESCE(at, now() + COALESCE(dl, 0) * interval '1 millisecond') AS at, k, ord
          FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::timestamptz[], $7::bigint[], $8::text[])
            WITH ORDINALITY AS u(q, ty, p, pr, ma, at, dl, k, ord)
        ), ins AS (
          INSERT INTO ${t} (queue, type, payload, priority, max_attempts, run_at, state, idempotency_key, idempotency_active)
          SELECT q, ty, p::jsonb, pr, ma, at, CASE WHEN at > now() THEN 'scheduled' ELSE 'pending' END, k, k IS NOT NULL
          FROM d ORDER BY ord
          ON CONFLICT (type, idempotency_key) WHERE idempotency_active DO NOTHING
          RETURNING ${JOB_COLUMNS}
        ), woke AS (
          SELECT pg_notify('${wake}', queue) FROM (SELECT DISTINCT queue FROM ins WHERE state = 'pending') q
        )
        SELECT * FROM ins WHERE (SELECT count(*) FROM woke) >= 0 ORDER BY id`,
    },

    /** The jobs holding idempotency keys: $1 types, $2 keys (pairwise), $3 window ms. A key whose job
     * finished more than the window ago is released here (so it can be reused at once, whether or
     * not maintenance ran) and its job is not returned. */
    findIdempotent: `WITH k AS (
        SELECT * FROM unnest($1::text[], $2::text[]) AS k(k_type, k_key)
      ), expired AS (
        UPDATE ${t} j SET idempotency_active = false
        FROM k
        WHERE j.type = k.k_type AND j.idempotency_key = k.k_key AND j.idempotency_active
          AND j.finished_at < now() - $3::bigint * interval '1 millisecond'
        RETURNING j.id
      )
      SELECT ${JOB_COLUMNS} FROM ${t} JOIN k ON type = k.k_type AND idempotency_key = k.k_key
      WHERE idempotency_active AND (finished_at IS NULL OR finished_at >= now() - $3::bigint * interval '1 millisecond')`,

    /** Release up to $2 idempotency keys whose job finished more than $1 ms ago (maintenance). */
    expireIdempotencyKeys: `UPDATE ${t} SET idempotency_active = false
      WHERE id IN (SELECT id FROM ${t}
        WHERE idempotency_active AND finished_at IS NOT NULL AND finished_at < now() - $1::bigint * interval '1 millisecond'
        ORDER BY finished_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,

    /** Pending + scheduled jobs of queue $1, counted up to $2 (bounded, on jobs_ready_idx). */
    countPending: `SELECT count(*)::int AS n FROM (
        SELECT 1 FROM ${t} WHERE queue = $1 AND state IN ('pending', 'scheduled') LIMIT $2
      ) x`,

    /** Claim up to $3 ready jobs of queue $1 whose type is in $2, for worker $4 with a lease of $5 ms.
     * Claiming starts the attempt. Nothing is claimed from a paused queue: the pause test depends
     * only on $1, so it is an InitPlan evaluated once per claim (a one-time filter), not per row. */
    claim: {
      name: `${schema}.claim`,
      text: `WITH picked AS (
          SELECT id FROM ${t}
          WHERE state = 'pending' AND queue = $1 AND type = ANY($2::text[])
            AND NOT EXISTS (SELECT 1 FROM ${s}.queues q WHERE q.name = $1 AND q.paused)
          ORDER BY priority DESC, run_at, id
          LIMIT $3
          FOR UPDATE SKIP LOCKED
        )
        UPDATE ${t} j
        SET state = 'running', attempts = j.attempts + 1, locked_by = $4,
            locked_until = now() + $5::int * interval '1 millisecond', started_at = now(), updated_at = now()
        FROM picked WHERE j.id = picked.id
        RETURNING ${JOB_COLUMNS.split(', ')
          .map((c) => `j.${c}`)
          .join(', ')}`,
    },

    /** Complete a batch: $1 ids, $2 their attempt numbers, $3 the owner. Fenced: a job that is no
     * longer running this attempt under this owner is left alone and not returned. The error of an
     * earlier failed attempt stays in the history, not on the completed job. */
    complete: {
      text: `UPDATE ${t} j
        SET state = 'completed', finished_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL,
            last_error = NULL
        FROM unnest($1::bigint[], $2::int[]) AS d(id, attempt)
        WHERE j.id = d.id AND j.state = 'running' AND j.locked_by = $3 AND j.attempts = d.attempt
        RETURNING j.id`,
    },

    /** Fail a batch: a null delay dead-letters the job (`failed`), a delay schedules a retry.
     * Writes one history row per failed attempt. Fenced like `complete`. */
    fail: {
      text: `WITH d AS (
          SELECT * FROM unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
            AS d(id, attempt, delay_ms, outcome, error, stack, started_at)
        ), u AS (
          UPDATE ${t} j
          SET state = CASE WHEN d.delay_ms IS NULL THEN 'failed' ELSE 'scheduled' END,
              run_at = CASE WHEN d.delay_ms IS NULL THEN j.run_at ELSE now() + d.delay_ms * interval '1 millisecond' END,
              finished_at = CASE WHEN d.delay_ms IS NULL THEN now() END,
              last_error = d.error, locked_by = NULL, locked_until = NULL, updated_at = now()
          FROM d
          WHERE j.id = d.id AND j.state = 'running' AND j.locked_by = $8 AND j.attempts = d.attempt
          RETURNING j.id, j.attempts, j.replays
        )
        INSERT INTO ${s}.job_attempts (job_id, replay, attempt, outcome, worker_id, started_at, error, stack)
        SELECT u.id, u.replays, u.attempts, d.outcome, $8, d.started_at, d.error, d.stack
        FROM u JOIN d ON d.id = u.id
        RETURNING job_id AS id`,
    },

    /** Hand unfinished jobs back at shutdown: ready again at once, the attempt not counted. The run
     * time is kept, so they go ahead of jobs that arrived after them. */
    release: {
      text: `WITH u AS (
          UPDATE ${t} j
          SET state = 'pending', attempts = j.attempts - 1, started_at = NULL,
              locked_by = NULL, locked_until = NULL, updated_at = now()
          FROM unnest($1::bigint[], $2::int[]) AS d(id, attempt)
          WHERE j.id = d.id AND j.state = 'running' AND j.locked_by = $3 AND j.attempts = d.attempt
          RETURNING j.id, j.queue
        ), woke AS (SELECT pg_notify('${wake}', queue) FROM (SELECT DISTINCT queue FROM u) q)
        SELECT id FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
    },

    /** Extend the leases of the owner's running attempts; the ids not returned are no longer its own. */
    renew: {
      text: `UPDATE ${t} j SET locked_until = now() + $4::int * interval '1 millisecond'
        FROM unnest($1::bigint[], $2::int[]) AS d(id, attempt)
        WHERE j.id = d.id AND j.state = 'running' AND j.locked_by = $3 AND j.attempts = d.attempt
        RETURNING j.id`,
    },

    /** Take back up to $1 running jobs whose lease ended: retried if attempts remain, else dead.
     * The lost attempt is recorded. */
    reclaimExpired: {
      name: `${schema}.reclaim_expired`,
      text: `WITH lost AS (
          SELECT id, locked_by, started_at FROM ${t}
          WHERE state = 'running' AND locked_until < now()
          ORDER BY locked_until LIMIT $1
          FOR UPDATE SKIP LOCKED
        ), ${requeueLostCtes(s, wake, `'Lease expired: worker ' || lost.locked_by || ' stopped renewing it'`)}
        SELECT id, state, queue FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
    },

    /** A handler's own report (`ctx.log`, `ctx.progress`): $1 job, $2 kind, $3 owner, $4 detail,
     * $5 attempt. Written only while that attempt still runs under that owner. */
    runEvent: `INSERT INTO ${s}.job_events (job_id, kind, actor, detail)
      SELECT id, $2, $3, $4::jsonb FROM ${t}
      WHERE id = $1 AND state = 'running' AND locked_by = $3 AND attempts = $5
      RETURNING id`,

    /** Scheduled jobs (delayed, or waiting for a retry) whose time has come become pending, and
     * their queues are woken. Claims take only pending jobs, so they never walk future ones. */
    promoteDue: {
      name: `${schema}.promote_due`,
      text: `WITH u AS (
          UPDATE ${t} SET state = 'pending', updated_at = now()
          WHERE id IN (
            SELECT id FROM ${t} WHERE state = 'scheduled' AND run_at <= now()
            ORDER BY run_at LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING queue
        ), woke AS (SELECT pg_notify('${wake}', queue) FROM (SELECT DISTINCT queue FROM u) q)
        SELECT count(*)::int AS n FROM u WHERE (SELECT count(*) FROM woke) >= 0`,
    },

    getJob: `SELECT ${JOB_COLUMNS} FROM ${t} WHERE id = $1`,
    lockJob: `SELECT ${JOB_COLUMNS} FROM ${t} WHERE id = $1 FOR UPDATE`,
    getAttempts: `SELECT attempt, replay, outcome, worker_id, started_at, finished_at, error, stack
      FROM ${s}.job_attempts WHERE job_id = $1 ORDER BY id`,

    cancel: `UPDATE ${t}
      SET state = 'canceled', finished_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
      WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
    cancelAttempt: `INSERT INTO ${s}.job_attempts (job_id, replay, attempt, outcome, worker_id, started_at, error)
      VALUES ($1, $2, $3, 'canceled', $4, $5, 'Canceled while running')`,
    notifyCancel: `SELECT pg_notify('${cancelChannel(schema)}', $1)`,

    replay: `UPDATE ${t}
      SET state = 'pending', attempts = 0, replays = replays + 1, run_at = now(), started_at = NULL,
          finished_at = NULL, last_error = NULL, updated_at = now(), payload = COALESCE($2::jsonb, payload)
      WHERE id = $1 RETURNING ${JOB_COLUMNS}`,
    notifyWake: `SELECT pg_notify('${wake}', $1)`,
    /** An operator action on job $1 (kind $2, by actor $3, detail $4), for the audit trail. */
    insertEvent: `INSERT INTO ${s}.job_events (job_id, kind, actor, detail) VALUES ($1, $2, $3, $4::jsonb)`,
  };
}

export type JobsSql = ReturnType<typeof createJobsSql>;
