import 'reflect-metadata';
import { ConsoleLogger, Injectable, type LogLevel } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InvalidJobOptionsError, JobHandler, JobNotFoundError, JobSchedulesService } from 'nest-pg-jobs';
import { createTestApp, disposeTestApp, type TestApp } from './support/app';
import { assertionPool } from './support/database';
import { listenLocally, restApiImports } from './support/rest';
import { waitFor } from './support/wait';

@Injectable()
@JobHandler('bad.ok', { queue: 'bad' })
class OkHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('bad.fails', { queue: 'bad', maxAttempts: 1 })
class FailsHandler {
  async handle(): Promise<void> {
    throw new Error('fails on purpose');
  }
}

/** Every log line of the application, with its level. */
class RecordingLogger extends ConsoleLogger {
  readonly lines: Array<{ level: LogLevel; text: string }> = [];
  protected override printMessages(messages: unknown[], _context?: string, level: LogLevel = 'log'): void {
    for (const m of messages) this.lines.push({ level, text: m instanceof Error ? `${m.stack}` : String(m) });
  }
  protected override printStackTrace(stack: string): void {
    this.lines.push({ level: 'error', text: stack });
  }
}

/** Raw JSON text: lone surrogates written as JSON escapes, which `JSON.stringify` also produces. */
const LONE = '\\ud800';
const BEYOND_BIGINT = '99999999999999999999';

describe('bad input: a clear 4xx naming the field, nothing written, no 500, no stack in the log', () => {
  const pool = assertionPool();
  const logger = new RecordingLogger();
  let t: TestApp;
  let base = '';
  let failed = '';

  const count = async (table: 'jobs' | 'job_events'): Promise<number> =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t.schema}".${table}`)).rows[0].n;

  async function call(
    method: string,
    path: string,
    raw?: string,
    contentType = 'application/json',
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON read back from the wire
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: raw === undefined ? {} : { 'content-type': contentType, 'x-requested-with': 'test' },
      body: raw,
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  }

  before(async () => {
    t = await createTestApp([OkHandler, FailsHandler], { queues: { full: { maxPendingJobs: 1 } } }, restApiImports());
    t.app.useLogger(logger);
    base = await listenLocally(t);
    const job = await t.jobs.enqueue('bad.fails', {});
    await waitFor(async () => (await t.jobs.get(job.id))?.state === 'failed', { message: 'a dead letter' });
    failed = job.id;
  });
  after(async () => {
    await disposeTestApp(t, pool);
    await pool.end();
  });

  it('refuses each bad request with its status and field, and writes nothing', async () => {
    const jobsBefore = await count('jobs');
    const eventsBefore = await count('job_events');
    const enqueue = (fields: string) => `{"type":"bad.ok",${fields}}`;
    const probes: Array<[string, string, string | undefined, number, string | undefined]> = [
      // lone surrogates, in a payload value, a payload key and an idempotency key
      ['POST', '/api/jobs', enqueue(`"payload":{"s":"a${LONE}b"}`), 400, 'payload.s'],
      ['POST', '/api/jobs', enqueue(`"payload":{"k${LONE}":1}`), 400, 'payload'],
      ['POST', '/api/jobs', enqueue(`"payload":["ok","${LONE}"]`), 400, 'payload[1]'],
      ['POST', '/api/jobs', enqueue(`"payload":"\\udc00"`), 400, 'payload'],
      ['POST', '/api/jobs', enqueue(`"idempotencyKey":"key-${LONE}"`), 400, 'idempotencyKey'],
      ['POST', '/api/jobs', enqueue(`"payload":{"s":"nul \\u0000"}`), 400, 'payload.s'],
      // dates JavaScript accepts and PostgreSQL cannot store
      ['POST', '/api/jobs', enqueue(`"runAt":"+275760-09-13T00:00:00.000Z"`), 400, 'runAt'],
      ['POST', '/api/jobs', enqueue(`"runAt":"-000001-01-01T00:00:00.000Z"`), 400, 'runAt'],
      ['POST', '/api/jobs', enqueue(`"runAt":"+010000-01-01T00:00:00.000Z"`), 400, 'runAt'],
      // a delay whose run time would overflow (it used to be accepted with runAt null, never to run)
      ['POST', '/api/jobs', enqueue(`"delayMs":9007199254740991`), 400, 'delayMs'],
      ['POST', '/api/jobs', enqueue(`"delayMs":3153600000001`), 400, 'delayMs'],
      // nesting: 32 levels at most (a few kilobytes nested thousands deep blanked the dashboard)
      ['POST', '/api/jobs', enqueue(`"payload":${'['.repeat(33)}${']'.repeat(33)}`), 400, 'payload'],
      ['POST', '/api/jobs', enqueue(`"payload":{"a":${'{"b":'.repeat(40)}1${'}'.repeat(40)}}`), 400, 'payload'],
      ['POST', `/api/jobs/${failed}/replay`, `{"payload":${'['.repeat(4000)}${']'.repeat(4000)}}`, 400, 'payload'],
      // names that are path segments browsers and proxies resolve away
      ['POST', '/api/schedules', '{"name":".","type":"bad.ok","cron":"0 3 * * *"}', 400, 'name'],
      ['POST', '/api/schedules', '{"name":"..","type":"bad.ok","cron":"0 3 * * *"}', 400, 'name'],
      ['POST', '/api/jobs', enqueue('"queue":".."'), 400, 'queue'],
      // timestamps: ISO 8601 with a zone, and only dates that exist
      ['POST', '/api/jobs', enqueue(`"runAt":"2026-02-30T00:00:00Z"`), 400, 'runAt'],
      ['POST', '/api/jobs', enqueue(`"runAt":"2027-02-29T00:00:00Z"`), 400, 'runAt'],
      ['POST', '/api/jobs', enqueue(`"runAt":"1"`), 400, 'runAt'],
      ['POST', '/api/jobs', enqueue(`"runAt":"2026-06-01T10:00:00"`), 400, 'runAt'],
      ['POST', '/api/jobs', enqueue(`"runAt":"2026-06-01T24:00:00Z"`), 400, 'runAt'],
      ['POST', '/api/jobs', enqueue(`"runAt":1767225600000`), 400, 'runAt'],
      ['GET', '/api/jobs?from=-1', undefined, 400, 'from'],
      ['GET', '/api/jobs?from=2026-13-01', undefined, 400, 'from'],
      ['GET', '/api/jobs?to=June%201', undefined, 400, 'to'],
      ['POST', '/api/jobs/cancel', '{"filter":{"from":"2026-04-31T00:00:00Z"}}', 400, 'filter.from'],
      // list filters
      ['GET', `/api/jobs?q=${encodeURIComponent(`payload.s:"${LONE}"`)}`, undefined, 400, 'q'],
      ['GET', `/api/jobs?q=${encodeURIComponent('payload.s:"a\\u0000b"')}`, undefined, 400, 'q'],
      ['GET', '/api/jobs?from=%2B200000-01-01T00:00:00Z', undefined, 400, 'from'],
      ['GET', '/api/jobs?to=-000100-01-01T00:00:00Z', undefined, 400, 'to'],
      // bulk filters
      ['POST', '/api/jobs/cancel', '{"filter":{"from":"+200000-01-01T00:00:00Z"}}', 400, 'filter.from'],
      ['POST', '/api/jobs/replay', '{"filter":{"to":"-000100-01-01T00:00:00Z"}}', 400, 'filter.to'],
      // ids beyond the bigint range
      ['GET', `/api/jobs/${BEYOND_BIGINT}`, undefined, 404, undefined],
      ['POST', `/api/jobs/${BEYOND_BIGINT}/cancel`, '{}', 404, undefined],
      ['POST', `/api/jobs/${BEYOND_BIGINT}/replay`, '{}', 404, undefined],
      ['POST', '/api/jobs/cancel', `{"ids":["${BEYOND_BIGINT}"]}`, 400, 'ids[0]'],
      // replay takes what enqueue takes: unknown fields and bad payloads are refused
      ['POST', `/api/jobs/${failed}/replay`, '{"payload":{},"priority":5}', 400, 'priority'],
      ['POST', `/api/jobs/${failed}/replay`, `{"payload":{"s":"${LONE}"}}`, 400, 'payload.s'],
    ];
    const wrong: string[] = [];
    for (const [method, path, raw, status, field] of probes) {
      const res = await call(method, path, raw);
      if (res.status !== status || (field !== undefined && res.body?.field !== field)) {
        wrong.push(`${method} ${path} ${raw ?? ''}: ${res.status} ${JSON.stringify(res.body)}`);
      }
    }
    // A body that is not JSON is refused as such (415), not read as nothing: a replay with an
    // edited payload sent as text/plain used to answer 200 and replay the old payload.
    const notJson: Array<[string, string, string, string]> = [
      ['POST', '/api/jobs', 'text/plain', enqueue('"payload":{}')],
      ['POST', '/api/jobs', 'application/x-www-form-urlencoded', 'type=bad.ok'],
      ['POST', `/api/jobs/${failed}/replay`, 'text/plain', '{"payload":{"edited":true}}'],
      ['POST', '/api/jobs/cancel', 'text/plain', '{"filter":{}}'],
      ['PATCH', '/api/queues/bad', 'application/x-www-form-urlencoded', 'concurrency=3'],
      ['POST', '/api/schedules', 'text/plain', '{"name":"s","type":"bad.ok","cron":"0 3 * * *"}'],
    ];
    for (const [method, path, type, raw] of notJson) {
      const res = await call(method, path, raw, type);
      if (res.status !== 415) wrong.push(`${method} ${path} as ${type}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual(wrong, [], 'answers that are not the expected status and field');
    assert.equal(await count('jobs'), jobsBefore, 'no job written');
    assert.equal(await count('job_events'), eventsBefore, 'no event written');
    assert.equal((await t.jobs.get(failed))?.state, 'failed', 'the dead letter was not replayed');

    // Client mistakes are warnings of one line: no ERROR, no stack trace.
    assert.deepEqual(
      logger.lines.filter((l) => l.level === 'error'),
      [],
      'no error logged for a client mistake',
    );
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    assert.ok(warnings.length >= probes.filter((p) => p[3] === 400).length, 'each 400 is logged as a warning');
    assert.deepEqual(
      warnings.filter((w) => /\n\s+at /.test(w.text)),
      [],
      'no stack trace in the warnings',
    );
  });

  it('every write route x every body it must refuse: 415 or 403, and nothing changes', async () => {
    await t.app.get(JobSchedulesService).create({ name: 'matrix', type: 'bad.ok', cron: '0 3 * * *' });
    const pending = await t.jobs.enqueue('bad.ok', {}, { queue: 'matrix', delayMs: 3_600_000 });
    // Everything a refused write could have changed, as one value.
    const state = async () =>
      (
        await pool.query(`SELECT
          (SELECT json_agg(json_build_array(id, state, payload, run_at) ORDER BY id) FROM "${t.schema}".jobs) AS jobs,
          (SELECT count(*) FROM "${t.schema}".job_events) AS events,
          (SELECT json_agg(s ORDER BY name) FROM "${t.schema}".schedules s) AS schedules,
          (SELECT json_agg(q ORDER BY name) FROM "${t.schema}".queues q) AS queues,
          (SELECT count(*) FROM "${t.schema}".audit_log) AS audit`)
      ).rows[0];
    const before = await state();
    const routes: Array<[string, string]> = [
      ['POST', '/api/jobs'],
      ['POST', '/api/jobs/replay'],
      ['POST', '/api/jobs/cancel'],
      ['POST', '/api/jobs/delete'],
      ['POST', '/api/jobs/clean'],
      ['POST', `/api/jobs/${pending.id}/cancel`],
      ['POST', `/api/jobs/${pending.id}/run-now`],
      ['DELETE', `/api/jobs/${pending.id}`],
      ['POST', `/api/jobs/${failed}/replay`],
      ['POST', '/api/queues/matrix/pause'],
      ['POST', '/api/queues/matrix/resume'],
      ['PATCH', '/api/queues/matrix'],
      ['DELETE', '/api/queues/matrix'],
      ['POST', '/api/schedules'],
      ['PATCH', '/api/schedules/matrix'],
      ['DELETE', '/api/schedules/matrix'],
      ['POST', '/api/schedules/matrix/pause'],
      ['POST', '/api/schedules/matrix/resume'],
      ['POST', '/api/schedules/matrix/run'],
    ];
    const body =
      '{"type":"bad.ok","filter":{},"state":"completed","olderThanMs":0,"concurrency":1,"name":"m2","cron":"0 4 * * *"}';
    const inputs: Array<[string, Record<string, string>, string, number]> = [
      ['text/plain', { 'content-type': 'text/plain', 'x-requested-with': 'test' }, body, 415],
      [
        'a form',
        { 'content-type': 'application/x-www-form-urlencoded', 'x-requested-with': 'test' },
        'type=bad.ok',
        415,
      ],
      ['no CSRF header', { 'content-type': 'application/json' }, body, 403],
    ];
    const wrong: string[] = [];
    for (const [method, path] of routes) {
      for (const [label, headers, raw, status] of inputs) {
        const res = await fetch(`${base}${path}`, { method, headers, body: raw });
        if (res.status !== status) wrong.push(`${method} ${path} with ${label}: ${res.status} ${await res.text()}`);
      }
    }
    assert.deepEqual(wrong, [], 'answers other than the refusal');
    assert.deepEqual(await state(), before, 'nothing changed');
  });

  it('keeps two idempotency keys that differ only in a lone surrogate apart: both refused, none merged', async () => {
    await assert.rejects(t.jobs.enqueue('bad.ok', {}, { idempotencyKey: 'k\ud800' }), InvalidJobOptionsError);
    await assert.rejects(t.jobs.enqueue('bad.ok', {}, { idempotencyKey: 'k\udbff' }), InvalidJobOptionsError);
    // A well-formed pair is fine, and distinct from the replacement character.
    const pair = await t.jobs.enqueue('bad.ok', {}, { idempotencyKey: 'k\ud83d\ude00', delayMs: 60_000 });
    const replacement = await t.jobs.enqueue('bad.ok', {}, { idempotencyKey: 'k\ufffd', delayMs: 60_000 });
    assert.equal(pair.created, true);
    assert.equal(replacement.created, true);
    assert.notEqual(pair.id, replacement.id);
  });

  it('a job id beyond bigint is not found through the service either', async () => {
    assert.equal(await t.jobs.get(BEYOND_BIGINT), null);
    await assert.rejects(t.jobs.cancel(BEYOND_BIGINT), JobNotFoundError);
    await assert.rejects(t.jobs.replay(BEYOND_BIGINT), JobNotFoundError);
  });

  it('replay counts against maxPendingJobs like an enqueue: 429, the job stays failed', async () => {
    const dead = await t.jobs.enqueue('bad.fails', {}, { queue: 'full' });
    await waitFor(async () => (await t.jobs.get(dead.id))?.state === 'failed', { message: 'a dead letter in "full"' });
    await t.jobs.enqueue('bad.ok', {}, { queue: 'full', delayMs: 60_000 }); // the queue is now at its cap
    const res = await call('POST', `/api/jobs/${dead.id}/replay`, '{}');
    assert.equal(res.status, 429, JSON.stringify(res.body));
    assert.equal(res.body.queue, 'full');
    assert.equal((await t.jobs.get(dead.id))?.state, 'failed');
  });
});
