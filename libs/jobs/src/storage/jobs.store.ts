import { isDeepStrictEqual } from 'node:util';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { AttemptOutcome, Job, JobWithAttempts } from '../interfaces';
import { JobNotFoundError, JobStateError } from '../errors';
import { createJobsSql, type JobsSql } from './jobs.sql';
import { toAttempt, toJob, type AttemptRow, type JobRow } from './job-row';

/** A job ready to insert, already validated. */
export interface NewJobRow {
  queue: string;
  type: string;
  payloadJson: string;
  priority: number;
  maxAttempts: number;
  runAt: Date | null;
  delayMs: number | null;
  idempotencyKey: string | null;
}

/** An attempt that ended in failure, as the worker reports it. `delayMs` null: dead-letter it. */
export interface FailedAttempt {
  id: string;
  attempt: number;
  delayMs: number | null;
  outcome: AttemptOutcome;
  error: string;
  stack: string | null;
  startedAt: Date;
}

/** Something a statement can run on: the pool, a client in a transaction, or a caller's TypeORM
 * EntityManager (`managerQueryable`, which runs it unnamed). */
export interface Queryable {
  query<R extends QueryResultRow>(config: { name?: string; text: string; values?: unknown[] }): Promise<{ rows: R[] }>;
}

/** Storage of jobs: every read and write of the engine goes through here, as one statement each. */
export class JobsStore {
  readonly sql: JobsSql;

  constructor(
    readonly pool: Pool,
    readonly schema: string,
  ) {
    this.sql = createJobsSql(schema);
  }

  /** The inserted job, or null when a job of its type holds its idempotency key. */
  async insertOne(row: NewJobRow, db: Queryable = this.pool): Promise<Job | null> {
    const res = await db.query<JobRow>({
      ...this.sql.insertOne,
      values: [
        row.queue,
        row.type,
        row.payloadJson,
        row.priority,
        row.maxAttempts,
        row.runAt,
        row.delayMs,
        row.idempotencyKey,
      ],
    });
    return res.rows.length === 0 ? null : toJob(res.rows[0]);
  }

  /** The inserted jobs in id order; rows whose idempotency key is held are skipped. */
  async insertMany(rows: NewJobRow[], db: Queryable = this.pool): Promise<Job[]> {
    if (rows.length === 0) return [];
    const res = await db.query<JobRow>({
      ...this.sql.insertMany,
      values: [
        rows.map((r) => r.queue),
        rows.map((r) => r.type),
        rows.map((r) => r.payloadJson),
        rows.map((r) => r.priority),
        rows.map((r) => r.maxAttempts),
        rows.map((r) => r.runAt),
        rows.map((r) => r.delayMs),
        rows.map((r) => r.idempotencyKey),
      ],
    });
    return res.rows.map((r) => toJob(r));
  }

  /** The jobs holding these keys, and so blocking their reuse; a key whose job finished more than
   * `windowMs` ago is released instead. */
  async findIdempotent(
    keys: Array<{ type: string; key: string }>,
    windowMs: number,
    db: Queryable = this.pool,
  ): Promise<Job[]> {
    const res = await db.query<JobRow>({
      text: this.sql.findIdempotent,
      values: [keys.map((k) => k.type), keys.map((k) => k.key), windowMs],
    });
    return res.rows.map((r) => toJob(r));
  }

  /** Releases the idempotency keys of jobs finished more than `windowMs` ago, in batches of
   * `batchSize` (each its own short statement), at most `maxBatches` per call. */
  async expireIdempotencyKeys(windowMs: number, batchSize = 1_000, maxBatches = 10): Promise<number> {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const res = await this.pool.query(this.sql.expireIdempotencyKeys, [windowMs, batchSize]);
      total += res.rowCount ?? 0;
      if ((res.rowCount ?? 0) < batchSize) break;
    }
    return total;
  }

  /** Pending + scheduled jobs of `queue`, counted only up to `atMost`, so cheap on a big table. */
  async countPending(queue: string, atMost: number): Promise<number> {
    const res = await this.pool.query<{ n: number }>(this.sql.countPending, [queue, atMost]);
    return res.rows[0].n;
  }

  async claim(queue: string, types: string[], limit: number, workerId: string, leaseMs: number): Promise<Job[]> {
    const res = await this.pool.query<JobRow>({ ...this.sql.claim, values: [queue, types, limit, workerId, leaseMs] });
    return res.rows
      .map((r) => toJob(r))
      .sort((a, b) => b.priority - a.priority || +a.runAt - +b.runAt || Number(BigInt(a.id) - BigInt(b.id)));
  }

  /** Returns the ids whose completion was accepted (the fence held). */
  async complete(items: Array<{ id: string; attempt: number }>, workerId: string): Promise<Set<string>> {
    const res = await this.pool.query<{ id: string }>({
      ...this.sql.complete,
      values: [items.map((i) => i.id), items.map((i) => i.attempt), workerId],
    });
    return new Set(res.rows.map((r) => r.id));
  }

  async fail(items: FailedAttempt[], workerId: string): Promise<Set<string>> {
    const res = await this.pool.query<{ id: string }>({
      ...this.sql.fail,
      values: [
        items.map((i) => i.id),
        items.map((i) => i.attempt),
        items.map((i) => i.delayMs),
        items.map((i) => i.outcome),
        items.map((i) => i.error),
        items.map((i) => i.stack),
        items.map((i) => i.startedAt),
        workerId,
      ],
    });
    return new Set(res.rows.map((r) => r.id));
  }

  async release(items: Array<{ id: string; attempt: number }>, workerId: string): Promise<Set<string>> {
    const res = await this.pool.query<{ id: string }>({
      ...this.sql.release,
      values: [items.map((i) => i.id), items.map((i) => i.attempt), workerId],
    });
    return new Set(res.rows.map((r) => r.id));
  }

  async renew(items: Array<{ id: string; attempt: number }>, workerId: string, leaseMs: number): Promise<Set<string>> {
    const res = await this.pool.query<{ id: string }>({
      ...this.sql.renew,
      values: [items.map((i) => i.id), items.map((i) => i.attempt), workerId, leaseMs],
    });
    return new Set(res.rows.map((r) => r.id));
  }

  async reclaimExpired(limit: number): Promise<Array<{ id: string; state: string; queue: string }>> {
    const res = await this.pool.query<{ id: string; state: string; queue: string }>({
      ...this.sql.reclaimExpired,
      values: [limit],
    });
    return res.rows;
  }

  /** Records a handler's `log`/`progress` report; false when the attempt is no longer the owner's. */
  async recordRunEvent(
    id: string,
    attempt: number,
    workerId: string,
    kind: 'log' | 'progress',
    detail: Record<string, unknown>,
  ): Promise<boolean> {
    const res = await this.pool.query(this.sql.runEvent, [id, kind, workerId, JSON.stringify(detail), attempt]);
    return (res.rowCount ?? 0) > 0;
  }

  async promoteDue(limit: number): Promise<number> {
    const res = await this.pool.query<{ n: number }>({ ...this.sql.promoteDue, values: [limit] });
    return res.rows[0].n;
  }

  /** The job without its history, or null. */
  async find(id: string): Promise<Job | null> {
    const res = await this.pool.query<JobRow>(this.sql.getJob, [id]);
    return res.rows.length === 0 ? null : toJob(res.rows[0]);
  }

  async get(id: string): Promise<JobWithAttempts | null> {
    const res = await this.pool.query<JobRow>(this.sql.getJob, [id]);
    if (res.rows.length === 0) return null;
    const attempts = await this.pool.query<AttemptRow>(this.sql.getAttempts, [id]);
    return { ...toJob(res.rows[0]), attemptHistory: attempts.rows.map(toAttempt) };
  }

  /** Cancels a job that has not finished. A running job's node is told to abort its handler;
   * whatever that handler returns afterwards is refused by the fence. */
  async cancel(id: string, actor: string | null = null): Promise<Job> {
    return this.transaction(async (client) => {
      const current = await this.lock(client, id);
      if (current.state === 'completed' || current.state === 'failed' || current.state === 'canceled') {
        throw new JobStateError(id, current.state, 'canceled');
      }
      const res = await client.query<JobRow>(this.sql.cancel, [id]);
      if (current.state === 'running') {
        await client.query(this.sql.cancelAttempt, [
          id,
          current.replays,
          current.attempts,
          current.locked_by,
          current.started_at,
        ]);
        await client.query(this.sql.notifyCancel, [id]);
      }
      await client.query(this.sql.insertEvent, [id, 'canceled', actor, JSON.stringify({ from: current.state })]);
      return toJob(res.rows[0]);
    });
  }

  /** Starts a `failed` or `canceled` job afresh as `pending`, optionally with a new payload; records
   * who replayed it and whether the payload changed. */
  async replay(id: string, payloadJson: string | null, actor: string | null = null): Promise<Job> {
    return this.transaction(async (client) => {
      const current = await this.lock(client, id);
      if (current.state !== 'failed' && current.state !== 'canceled') {
        throw new JobStateError(id, current.state, 'replayed (only failed or canceled jobs can be)');
      }
      const res = await client.query<JobRow>(this.sql.replay, [id, payloadJson]);
      const payloadEdited = payloadJson !== null && !isDeepStrictEqual(JSON.parse(payloadJson), current.payload);
      await client.query(this.sql.insertEvent, [id, 'replayed', actor, JSON.stringify({ payloadEdited })]);
      await client.query(this.sql.notifyWake, [current.queue]);
      return toJob(res.rows[0]);
    });
  }

  private async lock(client: PoolClient, id: string): Promise<JobRow> {
    const res = await client.query<JobRow>(this.sql.lockJob, [id]);
    if (res.rows.length === 0) throw new JobNotFoundError(id);
    return res.rows[0];
  }

  /** Runs `work` in a transaction on one pooled client: committed if it resolves, else rolled back. */
  async transaction<R>(work: (client: PoolClient) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
