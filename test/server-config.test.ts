import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Cluster } from './support/cluster';
import { assertionPool, countByState, databaseUrl, dropSchema, uniqueSchema } from './support/database';

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

  it('a bad value stops the server at start with a message naming the variable', async () => {
    const node = cluster.spawn({ JOBS_MAX_PENDING: '0' });
    const exit = await node.waitForExit(30_000);
    assert.notEqual(exit?.code, 0);
    assert.match(node.log(), /JOBS_MAX_PENDING must be an integer >= 1, got "0"/);
  });
});
