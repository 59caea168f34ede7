import type { AttemptOutcome, Job, JobAttempt, JobState, NewJobRow } from '../interfaces';

/** Columns selected wherever a whole job is read back. */
export const JOB_COLUMNS =
  'id, queue, type, payload, state, priority, attempts, max_attempts, run_at, created_at, updated_at, ' +
  'started_at, finished_at, locked_by, locked_until, last_error, replays, idempotency_key';

/** What an insert returns: the id and what the database decided (times as epoch milliseconds). */
export const INSERTED_COLUMNS =
  'id, state, extract(epoch FROM run_at)::float8 * 1000 AS run_at_ms, ' +
  'extract(epoch FROM created_at)::float8 * 1000 AS created_at_ms, type, idempotency_key';

export interface InsertedRow {
  id: string;
  state: JobState;
  run_at_ms: number;
  created_at_ms: number;
  type: string;
  idempotency_key: string | null;
}

/** The job just inserted from `row`: what the database returned, and the rest as given. */
export function toInsertedJob(row: NewJobRow, inserted: InsertedRow): Job {
  const createdAt = new Date(inserted.created_at_ms);
  return {
    id: inserted.id,
    queue: row.queue,
    type: row.type,
    payload: row.payload,
    state: inserted.state,
    priority: row.priority,
    attempts: 0,
    maxAttempts: row.maxAttempts,
    runAt: new Date(inserted.run_at_ms),
    createdAt,
    updatedAt: createdAt,
    startedAt: null,
    finishedAt: null,
    lockedBy: null,
    lockedUntil: null,
    lastError: null,
    replays: 0,
    idempotencyKey: row.idempotencyKey,
  };
}

export interface JobRow {
  id: string;
  queue: string;
  type: string;
  payload: unknown;
  state: JobState;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  replays: number;
  idempotency_key?: string | null;
  idempotency_active?: boolean;
}

export function toJob<T = unknown>(row: JobRow): Job<T> {
  return {
    id: row.id,
    queue: row.queue,
    type: row.type,
    payload: row.payload as T,
    state: row.state,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    lockedBy: row.locked_by,
    lockedUntil: row.locked_until,
    lastError: row.last_error,
    replays: row.replays,
    idempotencyKey: row.idempotency_key ?? null,
  };
}

export interface AttemptRow {
  attempt: number;
  replay: number;
  outcome: AttemptOutcome;
  node_id: string | null;
  started_at: Date | null;
  finished_at: Date;
  error: string;
  stack: string | null;
}

export function toAttempt(row: AttemptRow): JobAttempt {
  return {
    attempt: row.attempt,
    replay: row.replay,
    outcome: row.outcome,
    nodeId: row.node_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    stack: row.stack,
  };
}

/** A job as the claim returns it: the columns a claimed job needs, times as epoch milliseconds. */
export interface ClaimedRow {
  id: string;
  queue: string;
  type: string;
  payload: unknown;
  priority: number;
  attempts: number;
  max_attempts: number;
  run_at_ms: number;
  created_at_ms: number;
  /** Null: prefetched, not started yet. */
  started_at_ms: number | null;
  last_error: string | null;
  replays: number;
  idempotency_key: string | null;
}

/** A claimed job: `running` under `nodeId`, its lease ending about `lockedUntil`. */
export function toClaimedJob(row: ClaimedRow, nodeId: string, lockedUntil: Date): Job {
  const startedAt = row.started_at_ms === null ? null : new Date(row.started_at_ms);
  return {
    id: row.id,
    queue: row.queue,
    type: row.type,
    payload: row.payload,
    state: 'running',
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: new Date(row.run_at_ms),
    createdAt: new Date(row.created_at_ms),
    updatedAt: startedAt ?? lockedUntil,
    startedAt,
    finishedAt: null,
    lockedBy: nodeId,
    lockedUntil,
    lastError: row.last_error,
    replays: row.replays,
    idempotencyKey: row.idempotency_key,
  };
}
