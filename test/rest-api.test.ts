import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as AppModuleSource from '../apps/server/src/app.module';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

// Types come from the server's source; the code from its build output (apps/server/dist, built by
// `tsc -b test` through the project reference). The source path itself does not resolve at run
// time, because this file runs from test/dist.
const loadServer = createRequire(__filename);
const { AppModule } = loadServer(join(__dirname, '../../apps/server/dist/app.module')) as typeof AppModuleSource;

interface Reply {
  status: number;
  contentType: string;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
  body: any;
}

interface Attempt {
  attempt: number;
  replay: number;
  outcome: string;
  error: string;
  stack: string | null;
}

interface JobJson {
  id: string;
  type: string;
  queue: string;
  state: string;
  attempts: number;
  replays: number;
  payload: unknown;
  attemptHistory: Attempt[];
}

describe('REST API of the server', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('rest');
  let app: NestExpressApplication | undefined;
  let base = '';

  /** Sends `body` as JSON (or `raw` text as-is, labelled JSON) and reads the answer back. */
  async function call(method: string, path: string, body?: unknown, raw?: string): Promise<Reply> {
    const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(text === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'GET' ? {} : { 'x-requested-with': 'test' }),
      },
      body: text,
    });
    const reply = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    return {
      status: res.status,
      contentType,
      text: reply,
      body: contentType.includes('application/json') ? JSON.parse(reply) : undefined,
    };
  }

  async function enqueue(body: unknown): Promise<JobJson> {
    const res = await call('POST', '/api/jobs', body);
    assert.equal(res.status, 201, res.text);
    return res.body as JobJson;
  }

  async function getJob(id: string): Promise<JobJson> {
    const res = await call('GET', `/api/jobs/${id}`);
    assert.equal(res.status, 200, res.text);
    return res.body as JobJson;
  }

  /** Polls GET /api/jobs/:id until the job is in `state`. */
  async function waitForState(id: string, state: string): Promise<JobJson> {
    return waitFor(
      async () => {
        const job = await getJob(id);
        return job.state === state ? job : undefined;
      },
      { message: `job ${id} to be ${state}` },
    );
  }

  async function countJobs(): Promise<number> {
    const res = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`);
    return res.rows[0].n;
  }

  function assertJsonError(res: Reply, status: number, field?: string): void {
    assert.equal(res.status, status, res.text);
    assert.match(res.contentType, /^application\/json/, res.text);
    assert.equal(res.body.statusCode, status, res.text);
    assert.equal(typeof res.body.message, 'string', res.text);
    if (field !== undefined) assert.equal(res.body.field, field, res.text);
  }

  before(async () => {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.register({ databaseUrl: databaseUrl(), schema, concurrency: 4 }),
      { logger: ['error', 'warn'] },
    );
    // As main.ts does: bodies up to 2 MiB reach the payload check, which answers 413 itself.
    app.useBodyParser('json', { limit: '2mb' });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  after(async () => {
    await app?.close().catch(() => undefined);
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('POST /api/jobs enqueues (201) and GET /api/jobs/:id shows it completed', async () => {
    const res = await call('POST', '/api/jobs', { type: 'email', payload: { to: 'x@y.z' } });
    assert.equal(res.status, 201, res.text);
    assert.match(res.contentType, /^application\/json/);
    const created = res.body as JobJson;
    assert.equal(typeof created.id, 'string');
    assert.match(created.id, /^[1-9][0-9]*$/);
    assert.ok(['pending', 'running', 'completed'].includes(created.state), created.state);
    assert.equal(created.type, 'email');
    assert.equal(created.queue, 'default');
    assert.deepEqual(created.payload, { to: 'x@y.z' });

    const done = await waitForState(created.id, 'completed');
    assert.equal(done.id, created.id);
    assert.equal(done.attempts, 1);
    assert.deepEqual(done.attemptHistory, []);
  });

  it('a job that fails once is retried and completes on attempt 2, with the failure in its history', async () => {
    const job = await enqueue({ type: 'simulate', payload: { failTimes: 1 } });
    assert.equal(job.queue, 'default');
    const done = await waitForState(job.id, 'completed');
    assert.equal(done.attempts, 2);
    assert.equal(done.attemptHistory.length, 1);
    const [first] = done.attemptHistory;
    assert.equal(first.attempt, 1);
    assert.equal(first.outcome, 'failed');
    assert.equal(first.error, 'simulated failure on attempt 1 of 1');
    assert.equal(typeof first.stack, 'string');
    assert.match(first.stack!, /simulated failure on attempt 1 of 1/);
  });

  it('a permanent failure fails after 1 attempt; replay answers 200 pending and it fails again', async () => {
    const job = await enqueue({ type: 'simulate', payload: { permanent: true } });
    const failed = await waitForState(job.id, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.attemptHistory.length, 1);
    assert.equal(failed.attemptHistory[0].error, 'simulated permanent failure');

    const replay = await call('POST', `/api/jobs/${job.id}/replay`);
    assert.equal(replay.status, 200, replay.text);
    assert.equal(replay.body.id, job.id);
    assert.equal(replay.body.state, 'pending');
    assert.equal(replay.body.attempts, 0);
    assert.equal(replay.body.replays, 1);

    const again = await waitFor(
      async () => {
        const read = await getJob(job.id);
        return read.state === 'failed' && read.attemptHistory.length === 2 ? read : undefined;
      },
      { message: 'the replayed job to fail again' },
    );
    assert.equal(again.attempts, 1);
    assert.deepEqual(
      again.attemptHistory.map((a) => [a.replay, a.attempt, a.outcome]),
      [
        [0, 1, 'failed'],
        [1, 1, 'failed'],
      ],
    );
  });

  it('a non-Error throw is recorded as text in the history', async () => {
    const job = await enqueue({ type: 'simulate', payload: { throwValue: 'boom' }, maxAttempts: 1 });
    const failed = await waitForState(job.id, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.attemptHistory.length, 1);
    assert.equal(failed.attemptHistory[0].error, 'Non-Error value thrown: "boom"');
  });

  it('invalid bodies answer 400 naming the bad field, and write nothing', async () => {
    const before = await countJobs();
    const cases: Array<[string, unknown, string]> = [
      ['missing type', { payload: {} }, 'type'],
      ['type not a string', { type: 42 }, 'type'],
      ['unknown type', { type: 'nope' }, 'type'],
      ['priority not a number', { type: 'email', payload: { to: 'x@y.z' }, priority: 'x' }, 'priority'],
      ['priority out of range', { type: 'email', payload: { to: 'x@y.z' }, priority: 99999 }, 'priority'],
      ['maxAttempts 0', { type: 'email', payload: { to: 'x@y.z' }, maxAttempts: 0 }, 'maxAttempts'],
      ['negative delayMs', { type: 'email', payload: { to: 'x@y.z' }, delayMs: -5 }, 'delayMs'],
      ['runAt not a date', { type: 'email', payload: { to: 'x@y.z' }, runAt: 'not a date' }, 'runAt'],
      [
        'runAt and delayMs both',
        { type: 'email', payload: { to: 'x@y.z' }, runAt: new Date(Date.now() + 60_000).toISOString(), delayMs: 10 },
        'runAt',
      ],
      ['unknown field', { type: 'email', payload: { to: 'x@y.z' }, foo: 1 }, 'foo'],
      ['body is an array', [{ type: 'email', payload: { to: 'x@y.z' } }], 'body'],
      ['queue with a space', { type: 'email', payload: { to: 'x@y.z' }, queue: 'has space' }, 'queue'],
    ];
    for (const [name, body, field] of cases) {
      const res = await call('POST', '/api/jobs', body);
      assert.equal(res.status, 400, `${name}: ${res.status} ${res.text}`);
      assertJsonError(res, 400, field);
    }
    const unknown = await call('POST', '/api/jobs', { type: 'nope' });
    assert.equal(unknown.body.error, 'UnknownJobTypeError');

    const malformed = await call('POST', '/api/jobs', undefined, '{"type":');
    assertJsonError(malformed, 400);

    assert.equal(await countJobs(), before);
  });

  it('a payload over 1 MiB answers 413 naming payload; a body over 2 MiB answers 413', async () => {
    const before = await countJobs();
    const big = await call('POST', '/api/jobs', {
      type: 'email',
      payload: { to: 'x@y.z', body: 'a'.repeat(1_500_000) },
    });
    assertJsonError(big, 413, 'payload');
    assert.equal(big.body.error, 'PayloadTooLargeError');

    const huge = await call('POST', '/api/jobs', {
      type: 'email',
      payload: { to: 'x@y.z', body: 'a'.repeat(2_200_000) },
    });
    assertJsonError(huge, 413);
    assert.equal(await countJobs(), before);
  });

  it('unknown ids answer 404', async () => {
    assertJsonError(await call('GET', '/api/jobs/999999'), 404);
    assertJsonError(await call('GET', '/api/jobs/abc'), 404);
    assertJsonError(await call('POST', '/api/jobs/999999/cancel'), 404);
  });

  it('cancels a delayed job (200 canceled), and a second cancel answers 409 naming state', async () => {
    const job = await enqueue({ type: 'email', payload: { to: 'x@y.z' }, delayMs: 60_000 });
    assert.equal(job.state, 'scheduled');
    const canceled = await call('POST', `/api/jobs/${job.id}/cancel`);
    assert.equal(canceled.status, 200, canceled.text);
    assert.equal(canceled.body.id, job.id);
    assert.equal(canceled.body.state, 'canceled');
    assert.equal((await getJob(job.id)).state, 'canceled');

    const again = await call('POST', `/api/jobs/${job.id}/cancel`);
    assertJsonError(again, 409, 'state');
    assert.equal(again.body.error, 'JobStateError');
  });

  it('GET /health answers 200 with the database up', async () => {
    const res = await call('GET', '/health');
    assert.equal(res.status, 200, res.text);
    assert.match(res.contentType, /^application\/json/);
    assert.equal(res.body.status, 'ok');
    assert.equal(res.body.info.database.status, 'up');
  });

  it('markup in a payload round-trips unchanged as JSON text', async () => {
    const markup = '<script>alert(1)</script>';
    const created = await call('POST', '/api/jobs', { type: 'email', payload: { to: 'x@y.z', body: markup } });
    assert.equal(created.status, 201, created.text);
    assert.match(created.contentType, /^application\/json/);
    assert.ok(created.text.includes(JSON.stringify(markup)), created.text);
    assert.equal(created.body.payload.body, markup);

    const read = await call('GET', `/api/jobs/${created.body.id}`);
    assert.equal(read.status, 200, read.text);
    assert.match(read.contentType, /^application\/json/);
    assert.ok(read.text.includes(JSON.stringify(markup)), read.text);
    assert.deepEqual(read.body.payload, { to: 'x@y.z', body: markup });
    await waitForState(created.body.id, 'completed');
  });
});
