import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { Cluster, type ServerNode } from './support/cluster';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

// The example server against clients that send too much at once (issue 22): bursts of writes,
// and what happens to health and reads meanwhile.

const WRITE = { 'content-type': 'application/json', 'x-requested-with': 'test' };

async function send(node: ServerNode, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${node.url}${path}`, {
    method,
    headers: body === undefined ? { 'x-requested-with': 'test' } : WRITE,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('bursts: the server stays healthy and bounds its writes', () => {
  const pool = assertionPool();
  const schema = uniqueSchema('burst');
  const cluster = new Cluster({ name: 'hostile-burst', databaseUrl: databaseUrl(), schema });

  after(async () => {
    await cluster.dispose({ keepArtifacts: false });
    await dropSchema(pool, schema);
    await pool.end();
  });

  it('200 concurrent writes: /health stays 200, a read answers before they are through, the rest get 429 with Retry-After', async () => {
    // A bound well below the burst (the defaults are 8 and 100), so that it is reached however
    // fast this machine serves the first writes.
    const node = await cluster.start({ JOBS_API_WRITE_CONCURRENCY: '4', JOBS_API_WRITE_QUEUE: '40' });
    const created = await send(node, 'POST', '/api/schedules', {
      name: 'burst',
      type: 'email',
      intervalMs: 3_600_000,
      payload: { to: 'burst@example.com' },
    });
    assert.equal(created.status, 201, await created.text());

    const finished: string[] = [];
    const writes = Array.from({ length: 200 }, async () => {
      const res = await send(node, 'POST', '/api/schedules/burst/run');
      const text = await res.text();
      finished.push(res.status === 201 ? 'write' : `refused ${res.status}`);
      return { status: res.status, retryAfter: res.headers.get('retry-after'), text };
    });
    const probe = async (label: string, path: string) => {
      const res = await fetch(`${node.url}${path}`);
      await res.text();
      finished.push(label);
      return res.status;
    };
    const [health, ready, live, read] = await Promise.all([
      probe('health', '/health'),
      probe('ready', '/health/ready'),
      probe('live', '/health/live'),
      probe('read', '/api/jobs?limit=1'),
    ]);
    const answers = await Promise.all(writes);

    assert.deepEqual({ health, ready, live, read }, { health: 200, ready: 200, live: 200, read: 200 });
    const odd = answers.filter((a) => a.status !== 201 && !(a.status === 429 && Number(a.retryAfter) >= 1));
    assert.deepEqual(odd, [], 'every write is done (201) or refused with 429 and Retry-After');
    const done = answers.filter((a) => a.status === 201).length;
    assert.ok(
      answers.some((a) => a.status === 429),
      'writes past the bound (4 running, 40 waiting) are refused',
    );
    assert.ok(done >= 44, `the writes within the bound are done (${done})`);
    // The read did not wait behind the writes for a pooled connection.
    assert.ok(
      finished.indexOf('read') < finished.lastIndexOf('write'),
      `the read answered while writes were still running: ${finished.join(',')}`,
    );
    // Each write that answered 201 enqueued its job, and a refused one enqueued nothing.
    const jobs = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".jobs WHERE type = 'email'`,
    );
    assert.equal(jobs.rows[0].n, done);
    assert.equal(await node.health(), 200);
  });

  it('bodies the parser refuses and forged log lines: their 4xx, one warning line each, no ERROR, no stack', async () => {
    const node = await cluster.start();
    const post = (headers: Record<string, string>, body: string | Buffer) =>
      fetch(`${node.url}/api/jobs`, { method: 'POST', headers: { 'x-requested-with': 'test', ...headers }, body });
    const json = { 'content-type': 'application/json' };
    const statuses = {
      malformed: (await post(json, '{bad')).status,
      tooLarge: (await post(json, Buffer.alloc(3 * 1024 * 1024, 0x61))).status,
      charset: (await post({ 'content-type': 'application/json; charset=latin9' }, '{}')).status,
      encoding: (await post({ ...json, 'content-encoding': 'br' }, '{}')).status,
      forged: (await post(json, '{"type":"email","x\\n[Nest] 1  - ERROR [JobsApi] forged":1}')).status,
    };
    assert.deepEqual(statuses, { malformed: 400, tooLarge: 413, charset: 415, encoding: 400, forged: 400 });
    // A body cut off half-way: the client is gone, the server says so in one line.
    const socket = connect(node.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const head =
      'POST /api/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      'X-Requested-With: test\r\nContent-Length: 1000\r\n\r\n{"type":';
    await new Promise((resolve) => socket.write(head, resolve));
    socket.destroy();
    const plain = () => node.log().replace(new RegExp(String.fromCharCode(27) + '\\[[0-9;]*m', 'g'), '');
    await waitFor(() => /request aborted/.test(plain()), { message: 'the aborted request logged' });

    const lines = plain().split('\n');
    assert.deepEqual(
      lines.filter((l) => /^\[Nest\] \d+ .*\bERROR\b/.test(l) && !/forged/.test(l)),
      [],
      'no ERROR line',
    );
    assert.deepEqual(
      lines.filter((l) => /^\s+at /.test(l)),
      [],
      'no stack trace',
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('[Nest] 1  - ERROR')),
      [],
      'no forged line',
    );
    const warned = lines.filter((l) => /WARN .*POST \/api\/jobs: (400|413|415)/.test(l));
    assert.ok(
      warned.some((l) => l.includes('x\\n[Nest] 1  - ERROR [JobsApi] forged')),
      warned.join('\n'),
    );
    for (const what of ['too large', 'unsupported charset', 'request aborted']) {
      assert.ok(
        warned.some((l) => l.includes(what)),
        `${what} logged as a warning: ${warned.join('\n')}`,
      );
    }
  });
});
