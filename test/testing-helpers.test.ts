import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import assert, { AssertionError } from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  JobHandler,
  JobNotFoundError,
  JobsModule,
  JobsService,
  LATEST_SCHEMA_VERSION,
  PermanentJobError,
  type Job,
} from 'nest-pg-jobs';
import { createJobsTestSchema, JobsTester, JobsTestingModule, type JobsTestSchema } from 'nest-pg-jobs/testing';
import { assertionPool, databaseUrl } from './support/database';
import { schemaVersion } from './support/internals';
import { waitFor } from './support/wait';

/*
 * The helpers of `nest-pg-jobs/testing`, used the way an application's test uses them: a schema of
 * the file's own, an app from Test.createTestingModule with JobsTestingModule, and JobsTester.
 */

const failedOnce = new Set<string>();

@Injectable()
@JobHandler('greet')
class GreetHandler {
  async handle(job: Job<{ name: string }>): Promise<void> {
    await sleep(50); // long enough that a drain that did not wait would see it running
    if (job.payload.name === 'flaky' && !failedOnce.has(job.id)) {
      failedOnce.add(job.id);
      throw new Error('first attempt fails');
    }
    if (job.payload.name === 'never') throw new PermanentJobError('no such person');
  }
}

@Injectable()
@JobHandler('order', { queue: 'orders' })
class OrderHandler {
  constructor(private readonly jobs: JobsService) {}

  async handle(job: Job<{ orderId: number; lines: string[] }>): Promise<void> {
    // A follow-up job enqueued by a handler is part of the drain too.
    await this.jobs.enqueue('greet', { name: `buyer of ${job.payload.orderId}` });
  }
}

/** Open sockets of this process, to show the schema helpers leave no connection behind. */
const openSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

describe('createJobsTestSchema', () => {
  it('makes a migrated schema and drop() removes it, leaving no connection open', async () => {
    const pool = assertionPool();
    try {
      await pool.query('SELECT 1'); // the assertion pool's own connection, open from here on
      const sockets = openSockets();
      const schema = await createJobsTestSchema({ url: databaseUrl() });
      assert.match(schema.name, /^jobs_test_[0-9a-f]{8}$/);
      assert.equal(await schemaVersion(pool, schema.name), LATEST_SCHEMA_VERSION);
      await schema.drop();
      // A socket's handle goes a moment after its connection ended: wait for it, up to 2 s.
      await waitFor(() => openSockets() === sockets, { timeoutMs: 2_000, message: `${sockets} open sockets` });
      const found = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema.name]);
      assert.equal(found.rowCount, 0);
      await assert.rejects(createJobsTestSchema(databaseUrl(), { prefix: 'Bad-Prefix' }), /prefix/);
    } finally {
      await pool.end();
    }
  });
});

describe('nest-pg-jobs/testing', () => {
  const pool = assertionPool();
  let schema: JobsTestSchema;
  let app: INestApplication;
  let tester: JobsTester;
  let jobs: JobsService;

  before(async () => {
    schema = await createJobsTestSchema(databaseUrl(), { prefix: 'helpers' });
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl(), extra: { max: 4 } }),
        // No migrationsRun: the test schema is created at the latest version.
        JobsModule.forRoot({ schema: schema.name, isGlobal: true }),
        JobsTestingModule,
      ],
      providers: [GreetHandler, OrderHandler],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    tester = app.get(JobsTester);
    jobs = app.get(JobsService);
  });

  after(async () => {
    await app?.close();
    await schema?.drop();
    await pool.end();
  });

  it('assertEnqueued matches part of the payload, counts, and lists what was enqueued when it fails', async () => {
    await tester.clear();
    await jobs.enqueue('order', { orderId: 7, lines: ['tea', 'cake'] });
    await jobs.enqueue('order', { orderId: 8, lines: ['tea'] });

    const [seven] = await tester.assertEnqueued('order', { orderId: 7 });
    assert.deepEqual(seven.payload, { orderId: 7, lines: ['tea', 'cake'] });
    assert.equal((await tester.assertEnqueued('order', undefined, { count: 2 })).length, 2);
    await tester.assertEnqueued('order', (p: { orderId: number }) => p.orderId > 7, { count: 1 });
    await tester.assertEnqueued('refund', undefined, { count: 0 });

    // Arrays are compared whole: ['tea'] is not a part of ['tea', 'cake'].
    const err = await tester.assertEnqueued('order', { orderId: 7, lines: ['tea'] }).catch((e: unknown) => e);
    assert.ok(err instanceof AssertionError, String(err));
    assert.match(err.message, /Expected at least 1 "order" job\(s\) matching .*found 0/);
    assert.match(
      err.message,
      /"order" jobs enqueued: 2\n {2}#\d+ \w+ \{.*"orderId":7.*\}\n {2}#\d+ \w+ \{.*"orderId":8/,
    );
    await tester.drain();
  });

  it('drain runs the queued jobs of a type to completion and returns only theirs', async () => {
    await tester.clear();
    const greet = await jobs.enqueue('greet', { name: 'ada' });
    const order = await jobs.enqueue('order', { orderId: 1, lines: [] }, { delayMs: 60_000 });

    const outcomes = await tester.drain({ type: 'greet' });
    assert.deepEqual(
      outcomes.map((j) => [j.id, j.state]),
      [[greet.id, 'completed']],
    );
    // The delayed order was outside the filter: untouched.
    assert.equal((await jobs.get(order.id))?.state, 'scheduled');
  });

  it('drain returns the jobs of its filter that finished before it was called too', async () => {
    await tester.clear();
    const early = await jobs.enqueue('greet', { name: 'early' });
    assert.equal((await tester.waitForJob(early)).state, 'completed');
    const outcomes = await tester.drain({ type: 'greet' });
    assert.deepEqual(
      outcomes.map((j) => [j.id, j.state]),
      [[early.id, 'completed']],
    );
  });

  it('drain() of everything: delayed jobs and retries run at once, follow-up jobs are included', async () => {
    await tester.clear();
    const delayed = await jobs.enqueue('greet', { name: 'later' }, { delayMs: 60_000 });
    const flaky = await jobs.enqueue('greet', { name: 'flaky' });
    const never = await jobs.enqueue('greet', { name: 'never' });
    const order = await jobs.enqueue('order', { orderId: 42, lines: ['x'] });

    const started = Date.now();
    const outcomes = await tester.drain();
    assert.ok(Date.now() - started < 10_000, 'nobody waited a minute for the delayed job');
    const byName = new Map(outcomes.map((j) => [JSON.stringify(j.payload), j]));
    assert.equal(outcomes.length, 5, JSON.stringify(outcomes.map((j) => j.payload)));
    assert.equal(byName.get(JSON.stringify(delayed.payload))?.state, 'completed');
    const flakyOutcome = outcomes.find((j) => j.id === flaky.id);
    assert.equal(flakyOutcome?.state, 'completed');
    assert.equal(flakyOutcome?.attempts, 2);
    assert.deepEqual(
      flakyOutcome?.attemptHistory.map((a) => [a.attempt, a.outcome, a.error]),
      [[1, 'failed', 'first attempt fails']],
    );
    assert.equal(outcomes.find((j) => j.id === never.id)?.state, 'failed');
    assert.equal(outcomes.find((j) => j.id === order.id)?.state, 'completed');
    assert.equal(byName.get(JSON.stringify({ name: 'buyer of 42' }))?.state, 'completed');
    for (const job of outcomes) assert.ok(['completed', 'failed'].includes(job.state));
  });

  it('drain rejects after its timeout, naming what is unfinished and the paused queues', async () => {
    await tester.clear();
    await jobs.pauseQueue('orders');
    try {
      await jobs.enqueue('order', { orderId: 3, lines: [] });
      await assert.rejects(
        tester.drain({ queue: 'orders', timeoutMs: 300 }),
        /drain\(\) \(queue orders\): jobs still unfinished after 300 ms: pending 1; paused queues: orders/,
      );
    } finally {
      await jobs.resumeQueue('orders');
    }
    assert.equal((await tester.drain({ queue: 'orders' }))[0].state, 'completed');
  });

  it('waitForJob waits for one job to finish, and says why it gave up', async () => {
    await tester.clear();
    const job = await jobs.enqueue('greet', { name: 'grace' });
    const done = await tester.waitForJob(job);
    assert.equal(done.state, 'completed');
    assert.deepEqual(done.payload, { name: 'grace' });

    const later = await jobs.enqueue('greet', { name: 'later' }, { delayMs: 60_000 });
    await assert.rejects(tester.waitForJob(later.id, { timeoutMs: 100 }), /is still scheduled after 100 ms/);
    await assert.rejects(tester.waitForJob('999999999'), JobNotFoundError);
  });

  it('clear() deletes every job; new JobsTester(app) works without the module', async () => {
    await jobs.enqueue('greet', { name: 'x' }, { delayMs: 60_000 });
    const direct = new JobsTester(app);
    assert.ok((await direct.enqueued()).length > 0);
    await direct.clear();
    assert.deepEqual(await direct.enqueued(), []);
    assert.deepEqual(await tester.enqueued({ type: 'greet', state: 'scheduled' }), []);
  });

  it('drain refuses to run on a producer-only application', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [JobsModule.forRoot({ connection: { url: databaseUrl() }, schema: schema.name, workers: false })],
    }).compile();
    const producer = moduleRef.createNestApplication({ logger: ['error'] });
    await producer.init();
    try {
      await assert.rejects(new JobsTester(producer).drain(), /workers: false/);
    } finally {
      await producer.close();
    }
  });
});
