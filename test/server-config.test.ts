import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, describe, it } from 'node:test';
import { Cluster } from './support/cluster';
import { assertionPool, countByState, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

describe('server settings from the environment', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('srvcfg');
  const cluster = new Cluster({ name: 'server-config', databaseUrl: databaseUrl(), schema });

  after(async () => {
    await cluster.dispose({ keepArtifacts: false });
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('JOBS_MAX_PENDING caps waiting jobs per queue: 429 with Retry-After past it, nothing written', async () => {
    const node = await cluster.start({ JOBS_MAX_PENDING: '2' });
    const post = () =>
      fetch(`${node.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-requested-with': 'test' },
        body: JSON.stringify({ type: 'email', payload: { to: 'later@example.com' }, delayMs: 3_600_000 }),
      });
    assert.equal((await post()).status, 201);
    assert.equal((await post()).status, 201);
    const full = await post();
    assert.equal(full.status, 429);
    assert.ok(Number(full.headers.get('retry-after')) >= 1);
    assert.equal(((await full.json()) as { limit: number }).limit, 2);
    assert.deepEqual(await countByState(pool, schema), { scheduled: 2 });
  });

  it('JOBS_RETENTION_*: keep-times from the environment, said at start with the defaults left', async () => {
    await cluster.killAll(); // the earlier test's node prunes with the default keep-times
    // Finished 2 days ago: past the default keep-time of completed jobs (1 day), within 30 days. The
    // job finished 40 days ago is pruned by the same rounds, which shows that a round went by.
    const insert = `INSERT INTO "${schema}".jobs (queue, type, payload, state, attempts, max_attempts, finished_at)
      VALUES ('retain', 'email', '{}', 'completed', 1, 1, now() - $1::int * interval '1 day') RETURNING id`;
    const recent = (await pool.query<{ id: string }>(insert, [2])).rows[0].id;
    const old = (await pool.query<{ id: string }>(insert, [40])).rows[0].id;
    const node = await cluster.start({ JOBS_RETENTION_COMPLETED: '30d', JOBS_RETENTION_CANCELED: 'forever' });
    assert.match(
      node.log(),
      /Finished jobs are kept: completed 30d \(JOBS_RETENTION_COMPLETED\), failed 30d \(default\), canceled forever \(JOBS_RETENTION_CANCELED\)/,
    );
    const exists = async (id: string) =>
      (await pool.query(`SELECT 1 FROM "${schema}".jobs WHERE id = $1`, [id])).rowCount === 1;
    await waitFor(async () => !(await exists(old)) || undefined, {
      timeoutMs: 30_000,
      message: 'the 40-day-old job is pruned',
    });
    assert.equal(await exists(recent), true, 'a job finished 2 days ago is kept for 30 days');
    const bad = cluster.spawn({ JOBS_RETENTION_FAILED: 'a week' });
    assert.notEqual((await bad.waitForExit(30_000))?.code, 0);
    assert.match(bad.log(), /JOBS_RETENTION_FAILED must be a duration such as 30d/);
  });

  it('a bad value stops the server at start with a message naming the variable', async () => {
    const node = cluster.spawn({ JOBS_MAX_PENDING: '0' });
    const exit = await node.waitForExit(30_000);
    assert.notEqual(exit?.code, 0);
    assert.match(node.log(), /JOBS_MAX_PENDING must be an integer >= 1, got "0"/);
  });
});

describe('server defaults that keep it safe', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('srvsafe');
  const cluster = new Cluster({ name: 'server-safe', databaseUrl: databaseUrl(), schema });

  after(async () => {
    await cluster.dispose({ keepArtifacts: false });
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('listens on loopback only by default, says so, and sends no X-Powered-By and nosniff', async () => {
    const node = await cluster.start();
    assert.match(node.log(), /Listening on 127\.0\.0\.1 only, without authentication/);
    const res = await fetch(`${node.url}/api/queues`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    // Not reachable through the machine's other addresses.
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (external) {
      await assert.rejects(
        fetch(`http://${external.address}:${node.port}/health`, { signal: AbortSignal.timeout(2_000) }),
        'the server must not answer on a non-loopback address',
      );
    }
  });

  it('JOBS_BASIC_AUTH guards the dashboard, the API and /metrics, leaves /health open, and names the actor', async () => {
    const node = await cluster.start({ JOBS_BASIC_AUTH: 'ops:s3cret:with-colon', HOST: '0.0.0.0' });
    const auth = { authorization: `Basic ${Buffer.from('ops:s3cret:with-colon').toString('base64')}` };
    const wrong = { authorization: `Basic ${Buffer.from('ops:nope').toString('base64')}` };
    for (const path of ['/api/jobs', '/metrics', '/']) {
      const res = await fetch(`${node.url}${path}`);
      assert.equal(res.status, 401, path);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="jobs"/);
      assert.equal(
        (await fetch(`${node.url}${path}`, { headers: wrong })).status,
        401,
        `${path} with a wrong password`,
      );
    }
    for (const path of ['/health', '/health/ready', '/health/live']) {
      assert.equal((await fetch(`${node.url}${path}`)).status, 200, `${path} is open to probes`);
    }
    assert.equal((await fetch(`${node.url}/api/jobs`, { headers: auth })).status, 200);
    const created = await fetch(`${node.url}/api/jobs`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-requested-with': 'test' },
      body: JSON.stringify({ type: 'email', payload: { to: 'a@example.com' }, delayMs: 3_600_000 }),
    });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };
    const canceled = await fetch(`${node.url}/api/jobs/${id}/cancel`, {
      method: 'POST',
      headers: { ...auth, 'x-requested-with': 'test' },
    });
    assert.equal(canceled.status, 200);
    const events = await pool.query<{ actor: string }>(
      `SELECT actor FROM "${schema}".job_events WHERE job_id = $1 AND kind = 'canceled'`,
      [id],
    );
    assert.deepEqual(
      events.rows.map((r) => r.actor),
      ['ops'],
    );
  });

  it('failed Basic logins are throttled per address: 429 with Retry-After after 10, the right password included', async () => {
    const node = await cluster.start({ JOBS_BASIC_AUTH: 'ops:right', HOST: '0.0.0.0' });
    const basic = (password: string) => ({
      authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await fetch(`${node.url}/api/jobs`, { headers: basic(`guess${i}`) })).status);
    assert.deepEqual(statuses, [...Array<number>(10).fill(401), 429, 429]);
    const locked = await fetch(`${node.url}/api/jobs`, { headers: basic('right') });
    assert.equal(locked.status, 429, 'credentials are not even checked while locked out');
    assert.ok(Number(locked.headers.get('retry-after')) >= 1);
    assert.equal((await fetch(`${node.url}/health`)).status, 200, 'probes are never throttled');
    assert.match(node.log(), /10 failed logins from an address within 60 s lock it out/);
  });

  it('a read-only server says at start that local callers can read, not that they have full access', async () => {
    const node = await cluster.start({ JOBS_API_ACCESS: 'read-only' });
    assert.match(node.log(), /anyone on this machine can read every job and payload \(JOBS_API_ACCESS=read-only/);
    assert.doesNotMatch(node.log(), /full access/);
  });

  it('a simulate job told to hang gives its slot back when its attempt is aborted: no caller can stall a queue', async () => {
    const node = await cluster.start({ JOBS_CONCURRENCY: '1' });
    const hung = await node.enqueue('simulate', { hang: true });
    await waitFor(
      async () =>
        (await pool.query(`SELECT 1 FROM "${schema}".jobs WHERE id = $1 AND state = 'running'`, [hung])).rowCount === 1,
      { message: 'the hanging job to run' },
    );
    const next = await node.enqueue('email', { to: 'b@example.com' });
    const cancel = await fetch(`${node.url}/api/jobs/${hung}/cancel`, {
      method: 'POST',
      headers: { 'x-requested-with': 'test' },
    });
    assert.equal(cancel.status, 200);
    await waitFor(
      async () =>
        (await pool.query(`SELECT 1 FROM "${schema}".jobs WHERE id = $1 AND state = 'completed'`, [next])).rowCount ===
        1,
      { message: 'the next job to run in the freed slot' },
    );
  });
});
