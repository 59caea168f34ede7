import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** The change feed behind `GET /api/changes`: indexed reads polled once a second while someone
 * watches, at no cost to the job hot path (no trigger, no per-job NOTIFY). */
export function changeFeedStatements({ jobs }: SchemaNames) {
  return {
    /** The newest jobs after id $1 (primary key), at most $2. */
    newJobs: { text: `SELECT id, state, queue, type FROM ${jobs} WHERE id > $1 ORDER BY id DESC LIMIT $2` },
    /** The current state of jobs being watched ($1 ids; primary key lookups). */
    jobStates: { text: `SELECT id, state, queue, type FROM ${jobs} WHERE id = ANY($1::bigint[])` },
    /** Jobs running now (running index), at most $1. */
    running: { text: `SELECT id, state, queue, type FROM ${jobs} WHERE state = 'running' LIMIT $1` },
    maxId: { text: `SELECT coalesce(max(id), 0)::text AS id FROM ${jobs}` },
  } satisfies Record<string, Statement>;
}
