import 'reflect-metadata';
import { Injectable, type INestApplication, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  DuplicateJobHandlerError,
  InvalidJobHandlerError,
  JobHandler,
  JobsModule,
  UnknownJobTypeError,
  type Job,
  type JobContext,
} from 'nest-pg-jobs';
import { createTestApp, type TestApp } from './support/app';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

/** Which handler instance ran which job, on which node. */
const runs: Array<{ handler: object; type: string; jobId: string; nodeId: string }> = [];
const record = (handler: object, job: Job, ctx: JobContext) =>
  runs.push({ handler, type: job.type, jobId: job.id, nodeId: ctx.nodeId });

@Injectable()
@JobHandler('disc.class')
class ClassHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(this, job, ctx);
  }
}

@JobHandler('disc.factory')
class FactoryHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(this, job, ctx);
  }
}

/** Made by a factory that injects another provider. */
@JobHandler('disc.factory-deps')
class FactoryWithDepsHandler {
  constructor(readonly dep: ClassHandler) {}

  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(this, job, ctx);
  }
}

@JobHandler('disc.value')
class ValueHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(this, job, ctx);
  }
}

@Injectable()
@JobHandler('disc.use-class')
class UseClassHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(this, job, ctx);
  }
}

@Injectable()
@JobHandler('disc.same')
class FirstSameHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('disc.same')
class SecondSameHandler {
  async handle(): Promise<void> {}
}

@Injectable()
@JobHandler('disc.broken')
class NoHandleMethodHandler {
  async run(): Promise<void> {}
}

@Injectable()
@JobHandler('disc bad type!')
class BadTypeHandler {
  async handle(): Promise<void> {}
}

@JobHandler('disc.bad-options', { maxAttempts: 0, timeoutMs: 1.5 })
class BadOptionsHandler {
  async handle(): Promise<void> {}
}

@JobHandler('disc.a')
class AHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(this, job, ctx);
  }
}

@Injectable()
@JobHandler('disc.b')
class BHandler {
  async handle(job: Job, ctx: JobContext): Promise<void> {
    record(this, job, ctx);
  }
}

describe('job handler discovery', () => {
  const pool = assertionPool();
  const schemas: string[] = [];
  const open: TestApp[] = [];

  const newSchema = (): string => {
    const schema = uniqueSchema('disc');
    schemas.push(schema);
    return schema;
  };

  const start = async (handlers: Provider[], options: Parameters<typeof createTestApp>[1] = {}) => {
    const t = await createTestApp(handlers, { schema: newSchema(), ...options });
    open.push(t);
    return t;
  };

  const closeApp = async (t: TestApp) => {
    open.splice(open.indexOf(t), 1);
    await t.close();
  };

  /** Starts an app whose init must fail; returns the error, having closed what the app opened. */
  const initFails = async (handlers: Provider[]): Promise<unknown> => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl(), extra: { max: 3 } }),
        JobsModule.forRoot({ schema: newSchema(), migrationsRun: true, pollIntervalMs: 100 }),
      ],
      providers: handlers,
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({ logger: false });
    try {
      await app.init();
    } catch (err) {
      return err;
    } finally {
      await app.close();
    }
    assert.fail('the application started, but it should have failed');
  };

  const jobRow = async (schema: string, id: string) =>
    (
      await pool.query<{ state: string; attempts: number; locked_by: string | null }>(
        `SELECT state, attempts, locked_by FROM "${schema}".jobs WHERE id = $1`,
        [id],
      )
    ).rows[0];

  const completed = (schema: string, id: string) =>
    waitFor(async () => (await jobRow(schema, id)).state === 'completed', { message: `job ${id} to complete` });

  const countJobs = async (schema: string) =>
    (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".jobs`)).rows[0].n;

  after(async () => {
    for (const t of open.splice(0)) await t.close().catch(() => undefined);
    for (const schema of schemas) await dropSchema(pool, schema);
    await pool.end();
  });

  it('registers class, useClass, useFactory and useValue handlers, and runs their jobs', async () => {
    const valueHandler = new ValueHandler();
    const t = await start([
      ClassHandler,
      { provide: 'ALIAS_OF_CLASS_HANDLER', useExisting: ClassHandler },
      { provide: 'USE_CLASS_HANDLER', useClass: UseClassHandler },
      { provide: 'FACTORY_HANDLER', useFactory: () => new FactoryHandler() },
      {
        provide: 'FACTORY_WITH_DEPS_HANDLER',
        inject: [ClassHandler],
        useFactory: (dep: ClassHandler) => new FactoryWithDepsHandler(dep),
      },
      { provide: 'VALUE_HANDLER', useValue: valueHandler },
    ]);
    const expected: Array<[string, object]> = [
      ['disc.class', t.app.get(ClassHandler)],
      ['disc.use-class', t.app.get('USE_CLASS_HANDLER')],
      ['disc.factory', t.app.get('FACTORY_HANDLER')],
      ['disc.factory-deps', t.app.get('FACTORY_WITH_DEPS_HANDLER')],
      ['disc.value', valueHandler],
    ];
    const jobs = await Promise.all(expected.map(([type]) => t.jobs.enqueue(type, { type })));
    for (const job of jobs) await completed(t.schema, job.id);
    for (const [i, job] of jobs.entries()) {
      assert.equal((await jobRow(t.schema, job.id)).attempts, 1, job.type);
      const ran = runs.filter((r) => r.jobId === job.id && r.nodeId === t.runner.nodeId);
      assert.equal(ran.length, 1, `${job.type} ran once`);
      assert.equal(ran[0].handler, expected[i][1], `${job.type} ran on the provider's instance`);
    }
    await closeApp(t);
  });

  it('two classes handling the same type: init fails with DuplicateJobHandlerError naming both', async () => {
    const err = await initFails([FirstSameHandler, SecondSameHandler]);
    assert.ok(err instanceof DuplicateJobHandlerError, String(err));
    assert.match(err.message, /"disc\.same"/);
    assert.match(err.message, /FirstSameHandler/);
    assert.match(err.message, /SecondSameHandler/);

    // Two instances of one class are two handlers as well.
    const twice = await initFails([ClassHandler, { provide: 'COPY', useValue: new ClassHandler() }]);
    assert.ok(twice instanceof DuplicateJobHandlerError, String(twice));
  });

  it('a @JobHandler class without handle(): init fails with InvalidJobHandlerError', async () => {
    const err = await initFails([NoHandleMethodHandler]);
    assert.ok(err instanceof InvalidJobHandlerError, String(err));
    assert.match(err.message, /NoHandleMethodHandler/);
    assert.match(err.message, /handle\(/);
  });

  it('bad @JobHandler options fail at start-up, naming the class and the option', async () => {
    const badType = await initFails([BadTypeHandler]);
    assert.ok(badType instanceof InvalidJobHandlerError, String(badType));
    assert.match(badType.message, /BadTypeHandler: Invalid type/);
    const badOptions = await initFails([BadOptionsHandler]);
    assert.ok(badOptions instanceof InvalidJobHandlerError, String(badOptions));
    assert.match(badOptions.message, /BadOptionsHandler: Invalid maxAttempts/);
  });

  it('a node does not take jobs of a type it has no handler for; a node that has one runs them', async () => {
    const a = await start([AHandler], { allowUnknownTypes: true });
    const b = await a.jobs.enqueue('disc.b', { n: 1 });
    assert.equal(b.state, 'pending');
    // A claims right after each enqueue and then on every poll (100 ms): a job of its own enqueued
    // after 'b' and due several poll intervals later shows that A has looked for work many times.
    const now = await a.jobs.enqueue('disc.a', { n: 1 });
    const later = await a.jobs.enqueue('disc.a', { n: 2 }, { delayMs: 500 });
    await completed(a.schema, now.id);
    await completed(a.schema, later.id);
    assert.deepEqual(await jobRow(a.schema, b.id), { state: 'pending', attempts: 0, locked_by: null });
    assert.equal(runs.filter((r) => r.type === 'disc.b').length, 0, 'no handler ever saw the job');

    const bNode = await start([BHandler], { schema: a.schema });
    await completed(a.schema, b.id);
    assert.equal((await jobRow(a.schema, b.id)).attempts, 1);
    assert.deepEqual(
      runs.filter((r) => r.type === 'disc.b').map((r) => [r.jobId, r.nodeId]),
      [[b.id, bNode.runner.nodeId]],
    );
    await closeApp(bNode);
    await closeApp(a);
  });

  it('enqueue of a type without a handler throws UnknownJobTypeError and writes nothing', async () => {
    const t = await start([AHandler]);
    await assert.rejects(
      t.jobs.enqueue('disc.nobody', { n: 1 }),
      (err: unknown) => err instanceof UnknownJobTypeError && err.type === 'disc.nobody',
    );
    await assert.rejects(
      t.jobs.enqueueMany([
        { type: 'disc.a', payload: {} },
        { type: 'disc.nobody', payload: {} },
      ]),
      UnknownJobTypeError,
    );
    assert.equal(await countJobs(t.schema), 0);
    // The same node accepts its own types.
    const ok = await t.jobs.enqueue('disc.a', {});
    await completed(t.schema, ok.id);
    assert.equal(await countJobs(t.schema), 1);
    await closeApp(t);
  });
});
