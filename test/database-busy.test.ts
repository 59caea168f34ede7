import { Injectable } from '@nestjs/common';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { JobHandler } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, databaseUrl, uniqueSchema } from './support/database';
import { listenLocally, postJson, restApiImports } from './support/rest';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('busy.noop')
class NoopHandler {
  async handle(): Promise<void> {}
}

/**
 * A database that answers but takes no more connections (`53300 too many connections`): the API
 * answers 503 with Retry-After, never a 500, and works again once connections are free. The module
 * connects as a role of its own whose connection limit the test lowers to 0 (PostgreSQL refuses new
 * sessions of the role with 53300, as it does at max_connections), its open sessions terminated.
 */
describe('a database out of connections', () => {
  const pool = assertionPool();
  const role = `busy_${randomBytes(4).toString('hex')}`;
  let t: TestApp | undefined;

  after(async () => {
    await disposeTestApp(t, pool);
    await pool.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await pool.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await pool.end();
  });

  it('POST /api/jobs answers 503 with Retry-After (not 500), then 201 once connections are free', async () => {
    const database = (await pool.query<{ db: string }>('SELECT current_database() AS db')).rows[0].db;
    await pool.query(`CREATE ROLE ${role} LOGIN PASSWORD 'busy'`);
    await pool.query(`GRANT CREATE ON DATABASE "${database}" TO ${role}`);
    const url = new URL(databaseUrl());
    url.username = role;
    url.password = 'busy';
    t = await createTestApp(
      [NoopHandler],
      { schema: uniqueSchema('busy'), workers: false, connection: { url: url.href, poolSize: 5 } },
      restApiImports(),
    );
    const api = `${await listenLocally(t)}/api/jobs`;
    const body = { type: 'busy.noop', payload: {} };
    assert.equal((await postJson(api, body)).status, 201);

    await pool.query(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
    await pool.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
    await waitFor(
      async () =>
        (await pool.query('SELECT 1 FROM pg_stat_activity WHERE usename = $1', [role])).rowCount === 0 || undefined,
      { message: 'the role’s sessions to end' },
    );
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await postJson(api, body));
    replies.push(...(await Promise.all(Array.from({ length: 10 }, () => postJson(api, body)))));
    assert.deepEqual(
      replies.map((r) => r.status),
      replies.map(() => 503),
      replies.map((r) => r.text).join('\n'),
    );
    for (const r of replies) {
      assert.match(r.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
      assert.equal(r.body.error, 'JobsUnavailableError');
    }
    const last = replies[replies.length - 1];
    assert.match(String(last.body.message), /database is busy/, last.text);

    await pool.query(`ALTER ROLE ${role} CONNECTION LIMIT -1`);
    const again = await postJson(api, body);
    assert.equal(again.status, 201, again.text);
    const stored = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t.schema}".jobs`);
    assert.equal(stored.rows[0].n, 2, 'only the accepted requests wrote a job');
  });
});
