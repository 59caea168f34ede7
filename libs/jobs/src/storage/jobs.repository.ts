import { isDeepStrictEqual } from 'node:util';
import type { PoolClient } from 'pg';
import { JobNotFoundError, JobStateError } from '../errors';
import type { Job, JobWithAttempts, NewJobRow } from '../interfaces';
import type { Database, Queryable } from './database';
import { toAttempt, toInsertedJob, toJob, type AttemptRow, type InsertedRow, type JobRow } from './job-row';
import { expireIdempotencyKeysStatement, findIdempotentStatement } from './statements/idempotency.sql';
import { insertManyStatement, insertOneStatement, insertStartedStatement } from './statements/insert.sql';
import { jobStatements } from './statements/job.sql';
import { withValues } from './statements/statement';

/**
 * Jobs one at a time, and inserts: what the producer API and operators do to jobs (enqueue, read,
 * cancel, replay) and what handlers report about their run. The hot path of running jobs is
 * `AttemptsRepository`'s.
 */
export class JobsRepository {
  private readonly insertOneSql;
  private readonly insertStartedSql;
  private readonly insertManySql;
  private readonly findIdempotentSql;
  private readonly expireKeysSql;
  private readonly sql;

  constructor(private readonly db: Database) {
    this.insertOneSql = insertOneStatement(db.names);
    this.insertStartedSql = insertStartedStatement(db.names);
    this.insertManySql = insertManyStatement(db.names);
    this.findIdempotentSql = findIdempotentStatement(db.names);
    this.expireKeysSql = expireIdempotencyKeysStatement(db.names);
    this.sql = jobStatements(db.names);
  }

  /** The inserted job, or null when a job of its type holds its idempotency key. */
  async insertOne(row: NewJobRow, on: Queryable = this.db): Promise<Job | null> {
    const res = await on.query<InsertedRow>(
      withValues(this.insertOneSql, [
        row.queue,
        row.type,
        row.payloadJson,
        row.priority,
        row.maxAttempts,
        row.runAt,
        row.delayMs,
        row.idempotencyKey,
      ]),
    );
    return res.rows.length === 0 ? null : toInsertedJob(row, res.rows[0]);
  }

  /**
   * Inserts a job (ready now, no idempotency key) claimed by `nodeId` with its first attempt started;
   * in a paused queue it is inserted `pending` instead (the returned job says which).
   */
  async insertStarted(row: NewJobRow, nodeId: string, leaseMs: number): Promise<Job> {
    const res = await this.db.query<InsertedRow>(
      withValues(this.insertStartedSql, [
        row.queue,
        row.type,
        row.payloadJson,
        row.priority,
        row.maxAttempts,
        nodeId,
        leaseMs,
      ]),
    );
    const job = toInsertedJob(row, res.rows[0]);
    if (job.state !== 'running') return job;
    return {
      ...job,
      attempts: 1,
      startedAt: job.createdAt,
      lockedBy: nodeId,
      lockedUntil: new Date(Date.now() + leaseMs),
    };
  }

  /** The inserted jobs, one per row in row order: null where a job of the row's type holds its
   * idempotency key (the rows' keys must be distinct per type). */
  async insertMany(rows: NewJobRow[], on: Queryable = this.db): Promise<Array<Job | null>> {
    if (rows.length === 0) return [];
    const json = `[${rows.map(rowJson).join(',')}]`;
    const res = await on.query<InsertedRow>(withValues(this.insertManySql, [json]));
    // The inserted rows come back in input order; a row whose key was held is missing.
    let next = 0;
    return rows.map((row) => {
      const inserted = res.rows[next];
      const same =
        inserted !== undefined &&
        (row.idempotencyKey === null ||
          (inserted.type === row.type && inserted.idempotency_key === row.idempotencyKey));
      if (!same) {
        if (row.idempotencyKey === null) throw new Error('Batch insert returned fewer jobs than it was given');
        return null;
      }
      next += 1;
      return toInsertedJob(row, inserted);
    });
  }

  /** The jobs holding these keys, and so blocking their reuse; a key whose job finished more than
   * `windowMs` ago is released instead. */
  async findIdempotent(
    keys: Array<{ type: string; key: string }>,
    windowMs: number,
    on: Queryable = this.db,
  ): Promise<Job[]> {
    const res = await on.query<JobRow>(
      withValues(this.findIdempotentSql, [keys.map((k) => k.type), keys.map((k) => k.key), windowMs]),
    );
    return res.rows.map((r) => toJob(r));
  }

  /** Releases the idempotency keys of jobs finished more than `windowMs` ago, in batches of
   * `batchSize` (each its own short statement), at most `maxBatches` per call. */
  async expireIdempotencyKeys(windowMs: number, batchSize = 1_000, maxBatches = 10): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const res = await this.db.query(withValues(this.expireKeysSql, [windowMs, batchSize]));
      total += res.rowCount ?? 0;
      if ((res.rowCount ?? 0) < batchSize) break;
    }
    return total;
  }

  /** Pending + scheduled jobs of `queue`, counted only up to `atMost`, so cheap on a big table. */
  async countWaiting(queue: string, atMost: number): Promise<number> {
    const res = await this.db.query<{ n: number }>(withValues(this.sql.countWaiting, [queue, atMost]));
    return res.rows[0].n;
  }

  /** The job without its history, or null. `id` must be a valid job id. */
  async find(id: string): Promise<Job | null> {
    const res = await this.db.query<JobRow>(withValues(this.sql.get, [id]));
    return res.rows.length === 0 ? null : toJob(res.rows[0]);
  }

  /** The job with its attempt history, or null. `id` must be a valid job id. */
  async get(id: string): Promise<JobWithAttempts | null> {
    const job = await this.find(id);
    if (!job) return null;
    const attempts = await this.db.query<AttemptRow>(withValues(this.sql.attempts, [id]));
    return { ...job, attemptHistory: attempts.rows.map(toAttempt) };
  }

  /** Cancels a job that has not finished. A running job's node is told to abort its handler;
   * whatever that handler returns afterwards is refused by the fence. */
  cancel(id: string, actor: string | null): Promise<Job> {
    return this.db.transaction((client) => this.cancelWithin(client, id, actor));
  }

  /** `cancel` inside the caller's transaction (a schedule's `overlap: 'replace'` cancels the
   * previous job in the transaction that records the new tick): it commits or rolls back with it. */
  async cancelWithin(client: PoolClient, id: string, actor: string | null): Promise<Job> {
    const current = await this.lock(client, id);
    if (current.state === 'completed' || current.state === 'failed' || current.state === 'canceled') {
      throw new JobStateError(id, current.state, 'canceled');
    }
    const res = await client.query<JobRow>(withValues(this.sql.cancel, [id]));
    if (current.state === 'running') {
      await client.query(
        withValues(this.sql.cancelAttempt, [
          id,
          current.replays,
          current.attempts,
          current.locked_by,
          current.started_at,
        ]),
      );
      await client.query(withValues(this.sql.notifyCancel, [id]));
    }
    await client.query(
      withValues(this.sql.insertEvent, [id, 'canceled', actor, JSON.stringify({ from: current.state })]),
    );
    return toJob(res.rows[0]);
  }

  /** Starts a `failed` or `canceled` job afresh as `pending`, optionally with a new payload; records
   * who replayed it and whether the payload changed. */
  async replay(id: string, payloadJson: string | null, actor: string | null): Promise<Job> {
    return this.db.transaction(async (client) => {
      const current = await this.lock(client, id);
      if (current.state !== 'failed' && current.state !== 'canceled') {
        throw new JobStateError(id, current.state, 'replayed (only failed or canceled jobs can be)');
      }
      const res = await client.query<JobRow>(withValues(this.sql.replay, [id, payloadJson]));
      const payloadEdited = payloadJson !== null && !isDeepStrictEqual(JSON.parse(payloadJson), current.payload);
      const detail = {
        payloadEdited,
        previousRunAt: current.run_at,
        ...(payloadEdited ? previousPayload(current.payload) : {}),
      };
      await client.query(withValues(this.sql.insertEvent, [id, 'replayed', actor, JSON.stringify(detail)]));
      await client.query(withValues(this.sql.notifyWake, [current.queue]));
      return toJob(res.rows[0]);
    });
  }

  /** Records a handler's `log`/`progress` report; false when the attempt is no longer the owner's. */
  async recordRunEvent(
    id: string,
    attempt: number,
    nodeId: string,
    kind: 'log' | 'progress',
    detail: Record<string, unknown>,
  ): Promise<boolean> {
    const res = await this.db.query(withValues(this.sql.runEvent, [id, kind, nodeId, JSON.stringify(detail), attempt]));
    return (res.rowCount ?? 0) > 0;
  }

  /** Runs `work` in one transaction (inserts whose rounds must commit together). */
  transaction<R>(work: (on: Queryable) => Promise<R>): Promise<R> {
    return this.db.transaction((client) => work(client));
  }

  private async lock(client: PoolClient, id: string): Promise<JobRow> {
    const res = await client.query<JobRow>(withValues(this.sql.lock, [id]));
    if (res.rows.length === 0) throw new JobNotFoundError(id);
    return res.rows[0];
  }
}

/** Most bytes of JSON of a replaced payload the audit trail keeps whole. */
const KEPT_PAYLOAD_BYTES = 64 * 1024;

/** The payload a replay replaced, for its `replayed` event: whole, or its size and a preview. */
function previousPayload(payload: unknown): { previousPayload: unknown } {
  const json = JSON.stringify(payload) ?? 'null';
  const size = Buffer.byteLength(json);
  if (size <= KEPT_PAYLOAD_BYTES) return { previousPayload: payload };
  return { previousPayload: { truncated: true, size, preview: json.slice(0, 4_096) } };
}

/** One row of `insertMany`'s JSON parameter; the payload goes in as the JSON text it already is. */
function rowJson(r: NewJobRow): string {
  return (
    `{"q":${JSON.stringify(r.queue)},"ty":${JSON.stringify(r.type)},"p":${r.payloadJson},"pr":${r.priority},` +
    `"ma":${r.maxAttempts},"at":${r.runAt === null ? 'null' : JSON.stringify(r.runAt.toISOString())},` +
    `"dl":${r.delayMs === null ? 'null' : r.delayMs},"k":${r.idempotencyKey === null ? 'null' : JSON.stringify(r.idempotencyKey)}}`
  );
}
