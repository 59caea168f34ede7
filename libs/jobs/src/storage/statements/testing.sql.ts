import { JOB_COLUMNS } from '../job-row';
import type { SchemaNames } from '../schema-name';
import type { Statement } from './statement';

/** Jobs matching a test's filter: types $1 (null: any), queue $2 (null: any). */
const MATCHES = '($1::text[] IS NULL OR type = ANY($1)) AND ($2::text IS NULL OR queue = $2)';
const UNFINISHED = "state IN ('pending', 'scheduled', 'running')";

/** The statements of the testing helpers (`nest-pg-jobs/testing`); never used by the engine itself. */
export function testingStatements({ jobs, attempts, events }: SchemaNames) {
  return {
    /** Matching jobs of states $3 (null: any), oldest first. */
    list: {
      text: `SELECT ${JOB_COLUMNS} FROM ${jobs}
        WHERE ${MATCHES} AND ($3::text[] IS NULL OR state = ANY($3)) ORDER BY id`,
    },
    /** Matching jobs not finished yet, by state. */
    unfinished: {
      text: `SELECT state, count(*)::int AS n FROM ${jobs} WHERE ${MATCHES} AND ${UNFINISHED} GROUP BY state`,
    },
    /** Matching scheduled jobs (delayed, or waiting out a retry's backoff) become pending now. */
    runScheduledNow: {
      text: `UPDATE ${jobs} SET state = 'pending', run_at = now(), updated_at = now()
        WHERE ${MATCHES} AND state = 'scheduled' RETURNING queue`,
    },
    /** The attempt history of jobs $1. */
    attempts: {
      text: `SELECT job_id::text, attempt, replay, outcome, node_id, started_at, finished_at, error, stack
        FROM ${attempts} WHERE job_id = ANY($1::bigint[]) ORDER BY id`,
    },
    /** Every job, with its attempts and events (cascade). */
    clear: { text: `TRUNCATE ${jobs}, ${attempts}, ${events}` },
  } satisfies Record<string, Statement>;
}
