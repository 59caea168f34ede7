import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Request } from 'express';
import { JobHandler, type JobsAccess } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool, countByState } from './support/database';
import { listenLocally, restApiImports } from './support/rest';

@Injectable()
@JobHandler('acc.noop')
class NoopHandler {
  async handle(): Promise<void> {}
}

/** A stand-in for the host's authentication: requests need `authorization: Bearer ok`. */
class BearerGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<Request>().headers.authorization === 'Bearer ok';
  }
}

/** Rights by the `x-role` header: admin full, viewer read-only, operator may only replay. */
function accessOf(req: Request): JobsAccess {
  const role = req.headers['x-role'];
  if (role === 'admin') return 'full';
  if (role === 'operator') return { replay: true };
  return 'read-only';
}

describe('admin API access control', () => {
  const pool = assertionPool();
  let t: TestApp;
  let base: string;

  const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: { authorization: 'Bearer ok', 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    t = await createTestApp([NoopHandler], {}, restApiImports({ access: accessOf, guards: [BearerGuard] }));
    base = await listenLocally(t);
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it("runs the host's guard first", async () => {
    const res = await fetch(`${base}/api/me`);
    assert.equal(res.status, 403);
  });

  it('a read-only caller reads but gets 403 on every write, and nothing is written', async () => {
    const job = await t.jobs.enqueue('acc.noop', {}, { delayMs: 60_000 });
    const viewer = { 'x-role': 'viewer', 'x-requested-with': 'test' };
    assert.equal((await call('GET', `/api/jobs/${job.id}`, viewer)).status, 200);
    const me = (await (await call('GET', '/api/me', viewer)).json()) as { access: Record<string, boolean> };
    assert.deepEqual(me.access, {
      read: true,
      enqueue: false,
      replay: false,
      cancel: false,
      pause: false,
      delete: false,
      schedule: false,
    });
    const create = await call('POST', '/api/jobs', viewer, { type: 'acc.noop', payload: {} });
    assert.equal(create.status, 403);
    assert.equal(((await create.json()) as { action: string }).action, 'enqueue');
    assert.equal((await call('POST', `/api/jobs/${job.id}/cancel`, viewer)).status, 403);
    assert.equal((await call('POST', `/api/jobs/${job.id}/replay`, viewer)).status, 403);
    assert.deepEqual(await countByState(pool, t.schema), { scheduled: 1 });
  });

  it('per-action rights: an operator may replay but not cancel', async () => {
    const job = await t.jobs.enqueue('acc.noop', {}, { delayMs: 60_000 });
    const operator = { 'x-role': 'operator', 'x-requested-with': 'test' };
    assert.equal((await call('POST', `/api/jobs/${job.id}/cancel`, operator)).status, 403);
    // Allowed to replay: the request reaches the service, which refuses a scheduled job (409).
    assert.equal((await call('POST', `/api/jobs/${job.id}/replay`, operator)).status, 409);
  });

  it('writes without the CSRF header are refused even for a full-access caller', async () => {
    const job = await t.jobs.enqueue('acc.noop', {}, { delayMs: 60_000 });
    const res = await call('POST', `/api/jobs/${job.id}/cancel`, { 'x-role': 'admin' });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { message: string }).message, /x-requested-with/);
    assert.equal((await t.jobs.get(job.id))?.state, 'scheduled');
    const ok = await call('POST', `/api/jobs/${job.id}/cancel`, { 'x-role': 'admin', 'x-requested-with': 'test' });
    assert.equal(ok.status, 200);
    assert.equal((await t.jobs.get(job.id))?.state, 'canceled');
  });
});
