import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

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
     * range), each with its finish time as exact UTC text; and `horizon`: now - $4 ms, the point
     * before which every finishing transaction has committed (a batch completion takes its time at
     * its start and commits a little later).
     */
    finishedSince: {
      text: `SELECT id::text, state, queue, type, ${UTC('finished_at')} AS key, NULL AS horizon FROM ${jobs}
        WHERE state IN ('completed', 'failed', 'canceled') AND (finished_at, id) > ($1::timestamptz, $2::bigint)
        ORDER BY finished_at, id LIMIT $3`,
    },
    horizon: { text: `SELECT ${UTC("now() - $1::bigint * interval '1 millisecond'")} AS horizon` },
  } satisfies Record<string, Statement>;
}
