import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobHandler, type RestReads } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { REST_ANSWERS } from './support/rest-contract';
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
