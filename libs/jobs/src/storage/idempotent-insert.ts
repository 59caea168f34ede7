import type { EnqueuedJob, NewJobRow } from '../interfaces';
import type { Queryable } from './database';
import type { JobsRepository } from './jobs.repository';

/**
 * Inserts that honour idempotency keys: insert with `ON CONFLICT … DO NOTHING`, and when a key is
 * already held, read the job holding it in a second statement (which, unlike the insert's own
 * snapshot, sees a job committed by a concurrent enqueue of the same key). If that job vanished in
 * between (its key expired), insert again. Concurrent enqueues of one key wait for each other in
 * the unique index, so exactly one creates the job.
 */

/** Insert rounds before giving up on a key whose holder keeps vanishing (practically never). */
const MAX_ROUNDS = 3;

function keyOf(type: string, key: string): string {
  return `${type}\u0000${key}`;
}

function vanished(row: NewJobRow): Error {
  return new Error(
    `Enqueue of "${row.type}" with idempotency key "${row.idempotencyKey}" kept conflicting with a job that ` +
      `then vanished (${MAX_ROUNDS} times); try again`,
  );
}

/** One job: the new one (`created: true`) or the one holding its key (`created: false`). */
export async function insertJob(
  jobs: JobsRepository,
  row: NewJobRow,
  db: Queryable | undefined,
  windowMs: number,
): Promise<EnqueuedJob> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const job = await jobs.insertOne(row, db);
    if (job) return { ...job, created: true };
    if (row.idempotencyKey === null) throw new Error('Insert of a job without an idempotency key returned no row');
    const [existing] = await jobs.findIdempotent([{ type: row.type, key: row.idempotencyKey }], windowMs, db);
    if (existing) return { ...existing, created: false };
  }
  throw vanished(row);
}

/**
 * Many jobs, all or none, in input order. Items repeating a key of the same type within the batch
 * get the same job (the first of them `created: true`, the others `created: false`). Without a
 * caller's transaction, a batch with keys runs in one of its own, so its rounds commit together.
 */
export async function insertJobs(
  jobs: JobsRepository,
  rows: NewJobRow[],
  db: Queryable | undefined,
  windowMs: number,
): Promise<EnqueuedJob[]> {
  if (db) return insertJobsOn(jobs, rows, db, windowMs);
  if (rows.every((r) => r.idempotencyKey === null)) return insertJobsOn(jobs, rows, undefined, windowMs);
  return jobs.transaction((on) => insertJobsOn(jobs, rows, on, windowMs));
}

async function insertJobsOn(
  jobs: JobsRepository,
  rows: NewJobRow[],
  db: Queryable | undefined,
  windowMs: number,
): Promise<EnqueuedJob[]> {
  const results = new Array<EnqueuedJob | undefined>(rows.length);
  const firstWithKey = new Map<string, number>();
  const repeats: Array<[index: number, first: number]> = [];
  let todo: number[] = [];
  rows.forEach((row, i) => {
    if (row.idempotencyKey === null) return void todo.push(i);
    const key = keyOf(row.type, row.idempotencyKey);
    const first = firstWithKey.get(key);
    if (first === undefined) {
      firstWithKey.set(key, i);
      todo.push(i);
    } else repeats.push([i, first]);
  });

  for (let round = 0; todo.length > 0; round++) {
    if (round === MAX_ROUNDS) throw vanished(rows[todo[0]]);
    const inserted = await jobs.insertMany(
      todo.map((i) => rows[i]),
      db,
    );
    const held: number[] = [];
    todo.forEach((i, k) => {
      const job = inserted[k];
      if (job) results[i] = { ...job, created: true };
      else held.push(i);
    });
    if (held.length === 0) break;
    const existing = await jobs.findIdempotent(
      held.map((i) => ({ type: rows[i].type, key: rows[i].idempotencyKey! })),
      windowMs,
      db,
    );
    const holders = new Map(existing.map((job) => [keyOf(job.type, job.idempotencyKey!), job]));
    todo = [];
    for (const i of held) {
      const job = holders.get(keyOf(rows[i].type, rows[i].idempotencyKey!));
      if (job) results[i] = { ...job, created: false };
      else todo.push(i);
    }
  }
  for (const [i, first] of repeats) results[i] = { ...results[first]!, created: false };
  return results as EnqueuedJob[];
}
