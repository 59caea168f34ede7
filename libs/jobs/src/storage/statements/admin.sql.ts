import type { JobState, ParsedListFilter } from '../../interfaces';
import type { SchemaNames } from '../schema-name';
import { CLAUSE, idOf, partsOf, Where, whereOf } from './admin-where';
import { finishedState } from './statement';

/**
 * The admin API's statements: the job list, the detail reads, the bulk actions. A WHERE clause is
 * assembled only from the fixed templates below, each with `$n` placeholders; user input only ever
 * travels as parameter values. Only the validated schema name is spliced into the text. The list
 * statements are unnamed, so PostgreSQL plans each with its actual values (a rare state and a common
 * one want different plans).
 */

/** A statement and its parameters, ready for `pool.query`. */
export interface SqlQuery {
  text: string;
  values: unknown[];
}

/** Columns of a `JobSummary`; the payload is cut in the database so a page never ships megabytes. */
export const SUMMARY_COLUMNS =
  'id, queue, type, state, priority, attempts, max_attempts, run_at, created_at, updated_at, started_at, ' +
  'finished_at, last_error, locked_by, idempotency_key, left(payload::text, 200) AS payload_preview';

export const BULK_BATCH_SIZE = 1_000;

/** How many of the newest jobs a `probe` walk looks at. */
export const PROBE_ROWS = 5_000;

/**
 * How the list finds its page: `id` walks an id-ordered index from the newest job until the page is
 * full; `range` collects the ids of every job the filters select (through whatever index serves
 * them: BRIN for a time range, GIN for a payload field), sorts them and reads the page's rows;
 * `probe` is `id` bounded to the newest `PROBE_ROWS` jobs.
 */
export type ListWalk = 'id' | 'range' | 'probe';

/** Bounds on the ids a list walks (a time range's, found by `firstIdFrom`). */
export interface IdRange {
  atLeast?: string;
  below?: string;
}

/** Which jobs a bulk batch takes: the filter's, or a chunk of ids, plus the keyset bounds. */
export interface BulkTarget {
  filter?: ParsedListFilter;
  ids?: string[];
  /** The allowed states that also match the filter. */
  states: readonly JobState[];
  /** Only ids above this (the last id of the previous batch). */
  after?: string;
  /** Only ids up to this (the newest id when the action started: later jobs are left alone). */
  upTo?: string;
}

export function adminStatements(names: SchemaNames) {
  const { jobs: t, attempts, events, audit, wakeChannel: wake, cancelChannel: cancel } = names;

  function bulkWhere(target: BulkTarget): Where {
    const w = whereOf(target.filter ?? {}, target.states);
    if (target.ids !== undefined) w.add(CLAUSE.ids, target.ids);
    if (target.after !== undefined) w.add(CLAUSE.idAbove, target.after);
    if (target.upTo !== undefined) w.add(CLAUSE.idAtMost, target.upTo);
    return w;
  }

  return {
    /** One page, newest first: `limit + 1` rows, so the caller knows whether another page follows. */
    list(filter: ParsedListFilter, limit: number, before?: string, walk: ListWalk = 'id', ids?: IdRange): SqlQuery {
      const w = whereOf(filter);
      if (ids?.atLeast !== undefined) w.add(CLAUSE.idAtLeast, ids.atLeast);
      if (ids?.below !== undefined) w.add(CLAUSE.idBelow, ids.below);
      if (walk === 'probe') {
        // Only the newest PROBE_ROWS jobs (below the cursor) are looked at, whatever the filters.
        const below = before === undefined ? '' : `WHERE ${CLAUSE.idBelow(w.param(before))}`;
        const text = `SELECT ${SUMMARY_COLUMNS} FROM (
            SELECT * FROM ${t} ${below} ORDER BY id DESC LIMIT ${PROBE_ROWS}
          ) recent WHERE ${w} ORDER BY id DESC LIMIT ${w.param(limit + 1)}`;
        return { text, values: w.values };
      }
      if (before !== undefined) w.add(CLAUSE.idBelow, before);
      const n = w.param(limit + 1);
      // The list indexes leave out running jobs (migration 5): the running ones (few) are a branch
      // of their own, so that each branch's WHERE implies its indexes' predicate.
      const branch = (part: string) =>
        walk === 'id'
          ? `SELECT ${SUMMARY_COLUMNS} FROM ${t} WHERE ${w} AND ${part} ORDER BY ${idOf(part)} DESC LIMIT ${n}`
          : `SELECT ${SUMMARY_COLUMNS} FROM ${t}
             WHERE id = ANY(ARRAY(SELECT id FROM ${t} WHERE ${w} AND ${part} ORDER BY id + 0 DESC LIMIT ${n}))
             ORDER BY id DESC`;
      const parts = partsOf(filter.states);
      const text =
        parts.length === 1
          ? branch(parts[0])
          : `SELECT * FROM ((${parts.map(branch).join(') UNION ALL (')})) u ORDER BY id DESC LIMIT ${n}`;
      return { text, values: w.values };
    },

    /**
     * The first id of a job created at or after $1, as ids grow with creation times: a binary
     * search over the primary key (about 24 lookups on 10,000,000 jobs), whatever the statistics.
     * Past the newest job: its id + 1.
     */
    firstIdFrom: `WITH RECURSIVE b(lo, hi) AS (
        SELECT coalesce((SELECT min(id) FROM ${t}), 1), coalesce((SELECT max(id) FROM ${t}), 0) + 1
        UNION ALL
        SELECT CASE WHEN c.before THEN m.mid + 1 ELSE b.lo END, CASE WHEN c.before THEN b.hi ELSE m.mid END
        FROM b CROSS JOIN LATERAL (SELECT (b.lo + b.hi) / 2 AS mid) m
        CROSS JOIN LATERAL (SELECT coalesce((SELECT j.created_at < $1::timestamptz FROM ${t} j
          WHERE j.id >= m.mid ORDER BY j.id LIMIT 1), false) AS before) c
        WHERE b.lo < b.hi
      )
      SELECT lo::text AS id FROM b WHERE lo >= hi`,

    /** The job for the detail view: the payload itself only when it is at most $3 bytes (or $2,
     * `full`), else its size and the first $4 characters of its JSON. */
    detail: `SELECT id, queue, type, state, priority, attempts, max_attempts, run_at, created_at, updated_at,
        started_at, finished_at, locked_by, locked_until, last_error, replays, idempotency_key,
        octet_length(payload::text) AS payload_size,
        CASE WHEN $2::boolean OR octet_length(payload::text) <= $3 THEN payload END AS payload,
        CASE WHEN NOT $2::boolean AND octet_length(payload::text) > $3 THEN left(payload::text, $4) END AS payload_preview
      FROM ${t} WHERE id = $1`,
    attempts: `SELECT attempt, replay, outcome, node_id, started_at, finished_at, error, stack
      FROM ${attempts} WHERE job_id = $1 ORDER BY id`,
    events: `SELECT at, kind, actor, detail FROM ${events} WHERE job_id = $1 ORDER BY id`,
    newestId: `SELECT max(id)::text AS id FROM ${t}`,

    /** Replays one batch (failed or canceled jobs only), records a `replayed` event per job by
     * `actor`, and wakes the queues. Returns how many it replayed and the last id it looked at. */
    bulkReplay(target: BulkTarget, actor: string | null): SqlQuery {
      const w = bulkWhere(target);
      const text = `WITH picked AS (
          SELECT id, run_at FROM ${t} WHERE ${w} ORDER BY id LIMIT ${BULK_BATCH_SIZE} FOR UPDATE SKIP LOCKED
        ), u AS (
          UPDATE ${t} j
          SET state = 'pending', attempts = 0, replays = j.replays + 1, run_at = now(), started_at = NULL,
              finished_at = NULL, last_error = NULL, updated_at = now()
          FROM picked WHERE j.id = picked.id AND j.state IN ('failed', 'canceled')
          RETURNING j.id, j.queue, picked.run_at AS previous_run_at
        ), ev AS (
          INSERT INTO ${events} (job_id, kind, actor, detail)
          SELECT id, 'replayed', ${w.param(actor)}::text,
            jsonb_build_object('payloadEdited', false, 'bulk', true, 'previousRunAt', previous_run_at) FROM u
        ), woke AS (SELECT pg_notify('${wake}', queue) FROM (SELECT DISTINCT queue FROM u) q)
        SELECT (SELECT count(*) FROM u)::int AS n, (SELECT max(id) FROM picked)::text AS last
        WHERE (SELECT count(*) FROM woke) >= 0`;
      return { text, values: w.values };
    },

    /** Cancels one batch (pending, scheduled or running jobs only), records a `canceled` event per
     * job by `actor` and a `canceled` attempt for running ones, whose nodes are told to abort them. */
    bulkCancel(target: BulkTarget, actor: string | null): SqlQuery {
      const w = bulkWhere(target);
      const text = `WITH picked AS (
          SELECT id, state, locked_by, attempts, replays, started_at FROM ${t}
          WHERE ${w} ORDER BY id LIMIT ${BULK_BATCH_SIZE} FOR UPDATE SKIP LOCKED
        ), u AS (
          UPDATE ${t} j
          SET state = 'canceled', finished_at = now(), updated_at = now(), locked_by = NULL, locked_until = NULL
          FROM picked WHERE j.id = picked.id AND j.state IN ('pending', 'scheduled', 'running')
          RETURNING j.id, picked.state AS was, picked.locked_by, picked.attempts, picked.replays, picked.started_at
        ), hist AS (
          INSERT INTO ${attempts} (job_id, replay, attempt, outcome, node_id, started_at, error)
          SELECT id, replays, attempts, 'canceled', locked_by, started_at, 'Canceled while running'
          FROM u WHERE was = 'running'
        ), ev AS (
          INSERT INTO ${events} (job_id, kind, actor, detail)
          SELECT id, 'canceled', ${w.param(actor)}::text, jsonb_build_object('bulk', true, 'from', was) FROM u
        ), aborted AS (SELECT pg_notify('${cancel}', id::text) FROM u WHERE was = 'running')
        SELECT (SELECT count(*) FROM u)::int AS n, (SELECT max(id) FROM picked)::text AS last
        WHERE (SELECT count(*) FROM aborted) >= 0`;
      return { text, values: w.values };
    },

    /** Deletes one batch (finished jobs only) with their history, and records the batch in the audit
     * log by `actor` (ids, queues, types and states of the deleted jobs). */
    bulkDelete(target: BulkTarget, actor: string | null): SqlQuery {
      const w = bulkWhere(target);
      const text = `WITH picked AS (
          SELECT id FROM ${t} WHERE ${w} ORDER BY id LIMIT ${BULK_BATCH_SIZE} FOR UPDATE SKIP LOCKED
        ), d AS (
          DELETE FROM ${t} j USING picked
          WHERE j.id = picked.id AND ${finishedState('j.')}
          RETURNING j.id, j.queue, j.type, j.state
        ), logged AS (
          INSERT INTO ${audit} (actor, action, target, detail)
          SELECT ${w.param(actor)}::text, 'delete', NULL, jsonb_build_object('bulk', true, 'count', count(*),
            'ids', jsonb_agg(id::text ORDER BY id), 'queues', jsonb_agg(DISTINCT queue),
            'types', jsonb_agg(DISTINCT type), 'states', jsonb_agg(DISTINCT state))
          FROM d HAVING count(*) > 0
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM d)::int AS n, (SELECT max(id) FROM picked)::text AS last
        WHERE (SELECT count(*) FROM logged) >= 0`;
      return { text, values: w.values };
    },
  };
}

export type AdminStatements = ReturnType<typeof adminStatements>;
