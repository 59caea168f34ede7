import type { SchemaNames } from '../schema-name';
import { finishedState, type Statement } from './statement';

/** The change feed behind `GET /api/changes`: indexed reads polled once a second while someone
 * watches, at no cost to the job hot path (no trigger, no per-job NOTIFY). */
const UTC = (t: string) => `to_char((${t}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

export function changeFeedStatements({ jobs }: SchemaNames) {
  return {
    /** The newest jobs after id $1 (primary key), at most $2. */
    newJobs: { text: `SELECT id, state, queue, type FROM ${jobs} WHERE id > $1 ORDER BY id DESC LIMIT $2` },
    /** The current state of jobs being watched ($1 ids; primary key lookups). */
    jobStates: { text: `SELECT id, state, queue, type FROM ${jobs} WHERE id = ANY($1::bigint[])` },
    /** Jobs running now (running index), at most $1. */
    running: { text: `SELECT id, state, queue, type FROM ${jobs} WHERE state = 'running' LIMIT $1` },
    maxId: { text: `SELECT coalesce(max(id), 0)::text AS id FROM ${jobs}` },
    /**
     * Jobs finished after ($1 time, $2 id) in finish order, at most $3 (the finished-jobs index
     * range), each with its finish time as exact UTC text. Qualified names: a bare `id` in ORDER BY
     * would be the output column, the id as text.
     */
    finishedSince: {
      text: `SELECT j.id::text AS id, j.state, j.queue, j.type, ${UTC('j.finished_at')} AS key FROM ${jobs} j
        WHERE ${finishedState('j.')} AND (j.finished_at, j.id) > ($1::timestamptz, $2::bigint)
        ORDER BY j.finished_at, j.id LIMIT $3`,
    },
    /** The database's now - $1 ms as exact UTC text: the point before which every finishing
     * transaction has committed (a batch completion takes its time at its start, commits later). */
    horizon: { text: `SELECT ${UTC("now() - $1::bigint * interval '1 millisecond'")} AS horizon` },
  } satisfies Record<string, Statement>;
}
