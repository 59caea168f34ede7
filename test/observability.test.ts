import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { JobHandler, JobsObservabilityModule, type Job, type JobsStatsSnapshot } from 'nest-pg-jobs';
import { ChangeFeedHub } from './support/internals';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, countByState, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { listenLocally, restApiImports } from './support/rest';
import { waitFor } from './support/wait';

const noBackoff = { baseDelayMs: 0, maxDelayMs: 0 };

@Injectable()
@JobHandler('obs.ok', { queue: 'obs' })
class OkHandler {
  async handle(): Promise<void> {}
}

/** Fails its first attempt, then succeeds. */
@Injectable()
@JobHandler('obs.flaky', { queue: 'obs', backoff: noBackoff })
class FlakyHandler {
  async handle(job: Job): Promise<void> {
    if (job.attempts === 1) throw new Error('flaky');
  }
}

@Injectable()
@JobHandler('obs.dead', { queue: 'obs', maxAttempts: 2, backoff: noBackoff })
class DeadHandler {
  async handle(): Promise<void> {
    throw new Error('always fails');
  }
}

/** Throws a string: a crashed handler. */
@Injectable()
@JobHandler('obs.crash', { queue: 'obs-crash', maxAttempts: 1 })
class CrashHandler {
  async handle(): Promise<void> {
    throw 'not an Error';
  }
}

/** A TCP proxy to the test database that can be cut and restored: "the database is unreachable". */
class CuttableProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: URL) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }

  url(): string {
    const u = new URL(this.target.toString());
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }
}

describe('observability: /api/stats, /metrics, /health', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;

  const getJson = async (path: string) => {
    const res = await fetch(`${base}${path}`);
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
    return { status: res.status, body: JSON.parse(text) as any, text };
  };

  before(async () => {
    t = await createTestApp(
      [OkHandler, FlakyHandler, DeadHandler, CrashHandler],
      { statsCacheMs: 100 },
      { imports: [...restApiImports().imports!, JobsObservabilityModule.forRoot()] },
    );
    base = await listenLocally(t);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('counts a known workload exactly: 10 ok, 3 retried then ok, 2 dead; /metrics has them by queue', async () => {
    const ok = [];
    for (let i = 0; i < 9; i++) ok.push(await t.jobs.enqueue('obs.ok', { i }));
    // The tenth is submitted twice with one idempotency key: submitted twice, accepted once.
    ok.push(await t.jobs.enqueue('obs.ok', { i: 9 }, { idempotencyKey: 'k-9' }));
    assert.equal((await t.jobs.enqueue('obs.ok', { i: 9 }, { idempotencyKey: 'k-9' })).created, false);
    await t.jobs.enqueueMany([1, 2, 3].map(() => ({ type: 'obs.flaky', payload: {}, priority: 5 })));
    await t.jobs.enqueueMany([1, 2].map(() => ({ type: 'obs.dead', payload: {} })));
    await waitFor(
      async () => {
        const c = await countByState(pool, t.schema);
        return c.completed === 13 && c.failed === 2 && Object.keys(c).length === 2;
      },
      { message: 'the workload to finish' },
    );

    const stats = (await getJson('/api/stats')).body as JobsStatsSnapshot;
    assert.equal(stats.node, t.runner.nodeId);
    assert.ok(Date.parse(stats.since) <= Date.now());
    const expected = {
      submitted: 16,
      accepted: 15,
      processed: 20, // 10 + 3 × 2 + 2 × 2 attempts
      retried: 5, // 3 flaky first attempts + 2 dead first attempts
      succeeded: 13,
      failed: 2,
      crashed: 0,
      detached: 0,
    };
    assert.deepEqual(stats.totals, expected);
    assert.deepEqual(stats.queues.obs, expected);
    assert.deepEqual(stats.priorities['5'], {
      submitted: 3,
      accepted: 3,
      processed: 6,
      retried: 3,
      succeeded: 3,
      failed: 0,
      crashed: 0,
      detached: 0,
    });
    assert.equal(stats.priorities['0'].processed, 14);
    assert.equal(stats.utilisation.capacity, 20); // two queues (obs, obs-crash) × concurrency 10
    assert.equal(stats.utilisation.running, 0);
    assert.equal(stats.utilisation.ratio, 0);

    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    for (const line of [
      'jobs_submitted_total{queue="obs"} 16',
      'jobs_accepted_total{queue="obs"} 15',
      'jobs_processed_total{queue="obs"} 20',
      'jobs_retried_total{queue="obs"} 5',
      'jobs_succeeded_total{queue="obs"} 13',
      'jobs_failed_total{queue="obs"} 2',
      'jobs_worker_capacity 20',
      'jobs_wait_seconds_count{queue="obs"} 20',
      'jobs_run_seconds_count{queue="obs",outcome="succeeded"} 13',
      'jobs_run_seconds_count{queue="obs",outcome="failed"} 7',
      'jobs_queue_paused{queue="obs"} 0',
    ]) {
      assert.ok(text.split('\n').includes(line), `missing "${line}" in:\n${text}`);
    }
    assert.match(text, /# TYPE jobs_wait_seconds histogram/);
    // Gauges per queue and state, from the shared snapshot (at most statsCacheMs old).
    await waitFor(
      async () => {
        const lines = (await (await fetch(`${base}/metrics`)).text()).split('\n');
        return (
          lines.includes('jobs_queue_jobs{queue="obs",state="completed"} 13') &&
          lines.includes('jobs_queue_jobs{queue="obs",state="failed"} 2') &&
          lines.includes('jobs_queue_jobs{queue="obs",state="pending"} 0')
        );
      },
      { message: 'queue gauges to show the finished workload' },
    );
    // Nothing of this went to prom-client's global registry.
    const { register } = await import('prom-client');
    assert.equal(register.getSingleMetric('jobs_processed_total'), undefined);

    // The per-minute series (this node's outcomes, written to the roll-up or not yet) adds up.
    await waitFor(
      async () => {
        const points = (await getJson('/api/stats/series?minutes=5')).body.points as Array<Record<string, number>>;
        const sum = (k: string) => points.reduce((n, p) => n + p[k], 0);
        return sum('completed') === 13 && sum('failed') === 2 && sum('retried') === 5;
      },
      { message: 'the series to add up to the workload' },
    );
  });

  it('a handler throwing a non-Error counts as crashed (and as dead-lettered)', async () => {
    const job = await t.jobs.enqueue('obs.crash', {});
    await waitFor(async () => (await t.jobs.get(job.id))?.state === 'failed', { message: 'the crash job to fail' });
    const stats = (await getJson('/api/stats')).body as JobsStatsSnapshot;
    assert.equal(stats.queues['obs-crash'].crashed, 1);
    assert.equal(stats.queues['obs-crash'].failed, 1);
    assert.equal(stats.totals.crashed, 1);
    assert.ok((await (await fetch(`${base}/metrics`)).text()).includes('jobs_crashed_total{queue="obs-crash"} 1'));
  });

  it('GET /health answers ok in the terminus shape; /health/live too', async () => {
    const health = await getJson('/health');
    assert.equal(health.status, 200, health.text);
    assert.equal(health.body.status, 'ok');
    assert.deepEqual(health.body.error, {});
    assert.equal(health.body.info.database.status, 'up');
    assert.equal(health.body.info.workers.status, 'up');
    assert.equal(health.body.info.workers.state, 'running');
    assert.equal(health.body.details.workers.nodeId, t.runner.nodeId);
    assert.equal((await getJson('/health/live')).body.status, 'ok');
    assert.equal((await getJson('/health/ready')).status, 200);
    // The API module's events hub is not running while nobody listens.
    assert.equal(t.app.get(ChangeFeedHub).active, false);
  });

  it('GET /health answers 503 while the database is unreachable, and 200 again once it is back', async () => {
    const proxy = new CuttableProxy(new URL(databaseUrl()));
    await proxy.open();
    const schema = uniqueSchema('obs_down');
    const other = await createTestApp(
      [OkHandler],
      { schema, connection: { url: proxy.url(), extra: { connectionTimeoutMillis: 1_000 } } },
      { imports: [JobsObservabilityModule.forRoot({ metrics: false, healthTimeoutMs: 1_000 })] },
    );
    try {
      const otherBase = await listenLocally(other);
      const health = async () => {
        const res = await fetch(`${otherBase}/health`);
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
        return { status: res.status, body: (await res.json()) as any };
      };
      assert.equal((await health()).status, 200);
      assert.equal((await fetch(`${otherBase}/metrics`)).status, 404); // metrics: false

      await proxy.cut();
      const down = await health();
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal(down.body.status, 'error');
      assert.equal(down.body.error.database.status, 'down');
      assert.equal(typeof down.body.error.database.message, 'string');
      assert.equal(down.body.details.database.status, 'down');

      await proxy.open(); // same port
      await waitFor(async () => (await health()).status === 200, {
        timeoutMs: 15_000,
        message: '/health to answer 200 once the database is reachable again',
      });
    } finally {
      await other.close().catch(() => undefined);
      await proxy.cut();
      await dropSchema(pool, schema);
    }
  });
});
