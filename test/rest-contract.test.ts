import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobHandler, type RestReads, type RestWrites } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { REST_ANSWERS, REST_WRITE_ANSWERS } from './support/rest-contract';
import { listenLocally, restApiImports } from './support/rest';
import { problems } from './support/shape';
import { deferred, waitFor } from './support/wait';

// The contract between the admin API and the dashboard: every GET the dashboard reads is fetched
// from a live server (real PostgreSQL, real HTTP) and checked field by field against the type the
// library declares for it (test/support/rest-contract.ts, held to that type by the compiler).

const release = deferred();

@Injectable()
@JobHandler('contract.fail')
class FailingHandler {
  async handle(): Promise<void> {
    throw new Error('contract: broken on purpose');
  }
}

@Injectable()
@JobHandler('contract.hold')
class HoldingHandler {
  async handle(): Promise<void> {
    await release.promise;
  }
}

describe('REST contract: answers match the types the dashboard compiles against', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;
  let failedId: string;

  const send = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api${path}`, {
      method,
      headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as unknown };
  };

  /** GETs `path` and checks the answer against the route's declared type. */
  const check = async (route: keyof RestReads, path: string): Promise<unknown> => {
    const reply = await send('GET', path);
    assert.equal(reply.status, 200, `${route}: ${JSON.stringify(reply.body)}`);
    assert.deepEqual(problems(REST_ANSWERS[route], reply.body), [], `${route} (${path}) disagrees with its type`);
    return reply.body;
  };
  /** Sends a write and checks its answer against the route's declared type. */
  const write = async (route: keyof RestWrites, path: string, body: unknown = {}): Promise<unknown> => {
    const reply = await send(route.slice(0, route.indexOf(' ')), path, body);
    assert.ok(reply.status === 200 || reply.status === 201, `${route}: ${reply.status} ${JSON.stringify(reply.body)}`);
    assert.deepEqual(problems(REST_WRITE_ANSWERS[route], reply.body), [], `${route} (${path}) disagrees with its type`);
    return reply.body;
  };
  const items = (body: unknown): unknown[] => (body as { items: unknown[] }).items;

  before(async () => {
    t = await createTestApp([FailingHandler, HoldingHandler], {}, restApiImports());
    base = await listenLocally(t);
    failedId = (await t.jobs.enqueue('contract.fail', { n: 1 }, { maxAttempts: 1 })).id;
    await t.jobs.enqueue('contract.hold', { n: 2 });
    await waitFor(
      async () =>
        (await pool.query(`SELECT state FROM "${t.schema}".jobs WHERE id = $1`, [failedId])).rows[0]?.state ===
        'failed',
      { message: 'the job to fail' },
    );
    const created = await send('POST', '/schedules', { name: 'contract', type: 'contract.hold', cron: '0 3 * * *' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await send('POST', '/schedules/contract/run')).status, 201);
    assert.equal((await send('PATCH', '/queues/default', { concurrency: 4 })).status, 200);
  });
  after(async () => {
    release.resolve();
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('queues, nodes, access and the throughput series', async () => {
    await check('GET /me', '/me');
    assert.ok(items(await check('GET /queues', '/queues')).length > 0);
    const nodes = await waitFor(
      async () => {
        const body = (await send('GET', '/nodes')).body as { items: Array<{ jobs: unknown[] }> };
        return body.items.some((n) => n.jobs.length > 0) && body;
      },
      { message: 'a node running the held job' },
    );
    assert.deepEqual(problems(REST_ANSWERS['GET /nodes'], nodes), []);
    await check('GET /stats/series', '/stats/series?minutes=5');
  });

  it('the job list, a failed job in detail and the dead-letter groups', async () => {
    assert.ok(items(await check('GET /jobs', '/jobs')).length >= 2);
    await check('GET /jobs', '/jobs?q=nothing-matches-this');
    const detail = (await check('GET /jobs/:id', `/jobs/${failedId}`)) as {
      attemptHistory: unknown[];
      timeline: unknown[];
    };
    assert.ok(detail.attemptHistory.length > 0 && detail.timeline.length > 0);
    assert.ok(items(await check('GET /dead-letters/groups', '/dead-letters/groups')).length > 0);
  });

  it('the audit log and the schedules with their runs', async () => {
    assert.ok(items(await check('GET /audit', '/audit')).length > 0);
    assert.ok(items(await check('GET /schedules', '/schedules')).length > 0);
    await check('GET /schedules/:name', '/schedules/contract');
    assert.ok(items(await check('GET /schedules/:name/runs', '/schedules/contract/runs')).length > 0);
  });

  it('the writes the dashboard sends', async () => {
    const later = { delayMs: 3_600_000 };
    const [a, b, c] = await Promise.all([1, 2, 3].map((n) => t.jobs.enqueue('contract.hold', { n }, later)));
    await write('POST /jobs/:id/run-now', `/jobs/${a.id}/run-now`);
    await write('POST /jobs/:id/cancel', `/jobs/${b.id}/cancel`);
    await write('POST /jobs/:id/replay', `/jobs/${b.id}/replay`);
    await write('POST /jobs/cancel', '/jobs/cancel', { ids: [c.id] });
    await write('POST /jobs/replay', '/jobs/replay', { ids: [c.id] });
    await write('POST /jobs/delete', '/jobs/delete', { ids: [c.id] });
    await write('POST /jobs/clean', '/jobs/clean', { state: 'completed', olderThanMs: 3_600_000 });
    await write('DELETE /jobs/:id', `/jobs/${failedId}`);
    await write('PATCH /queues/:name', '/queues/contract-idle', { concurrency: 2 });
    await write('POST /queues/:name/pause', '/queues/contract-idle/pause');
    await write('POST /queues/:name/resume', '/queues/contract-idle/resume');
    await write('PATCH /schedules/:name', '/schedules/contract', { jitterMs: 0 });
    await write('POST /schedules/:name/pause', '/schedules/contract/pause');
    await write('POST /schedules/:name/resume', '/schedules/contract/resume');
    await write('POST /schedules/:name/run', '/schedules/contract/run');
  });

  it('a renamed, missing or mistyped field is caught', async () => {
    const body = (await send('GET', '/queues')).body as { items: Array<Record<string, unknown>> };
    const [queue] = body.items;
    const { countsEstimated, ...renamed } = queue;
    const broken = [
      { ...renamed, countEstimated: countsEstimated },
      { ...queue, pausedAt: 0 },
    ];
    assert.deepEqual(problems(REST_ANSWERS['GET /queues'], { items: broken }), [
      'body.items[0].countsEstimated: missing',
      'body.items[0].countEstimated: not in the type',
      'body.items[1].pausedAt: expected an ISO date string, got 0',
    ]);
  });
});
