import 'reflect-metadata';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type INestApplication,
  type ModuleMetadata,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Pool } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import {
  createJobsMigrations,
  InvalidJobOptionsError,
  JobHandler,
  JobsModule,
  JobsSchemaError,
  JobsRunner,
  JobsService,
  LATEST_SCHEMA_VERSION,
  type JobsModuleOptions,
} from 'nest-pg-jobs';
import { runMigrations, schemaVersion } from './support/internals';
import { assertionPool, databaseUrl, dropSchema, uniqueSchema } from './support/database';
import { waitFor } from './support/wait';

const ALL_VERSIONS = Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1);

@Injectable()
@JobHandler('config.ping')
class PingHandler {
  async handle(): Promise<void> {}
}

/** A stand-in for @nestjs/config: a module that provides configuration values. Like
 * `ConfigService.get()`, `get` is typed by its caller, but every value it returns is a string. */
class AppConfig {
  constructor(private readonly values: Record<string, string>) {}

  get<T = string>(key: string): T {
    const value = this.values[key];
    if (value === undefined) throw new Error(`missing config ${key}`);
    return value as T;
  }
}

@Module({})
class AppConfigModule {
  static register(values: Record<string, string>): DynamicModule {
    return {
      module: AppConfigModule,
      providers: [{ provide: AppConfig, useValue: new AppConfig(values) }],
      exports: [AppConfig],
    };
  }
}

/** An options factory class, for forRootAsync's useClass and useExisting. */
@Injectable()
class JobsOptionsFromConfig {
  calls = 0;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  createJobsOptions(): JobsModuleOptions {
    this.calls += 1;
    return { schema: this.config.get('JOBS_SCHEMA'), migrationsRun: true, pollIntervalMs: 100 };
  }
}

@Module({})
class JobsOptionsModule {
  static register(values: Record<string, string>): DynamicModule {
    return {
      module: JobsOptionsModule,
      imports: [AppConfigModule.register(values)],
      providers: [JobsOptionsFromConfig],
      exports: [JobsOptionsFromConfig],
    };
  }
}

/** A provider of another module that injects JobsService without importing JobsModule. */
@Injectable()
class ReportProducer {
  constructor(private readonly jobs: JobsService) {}

  send(): Promise<{ id: string }> {
    return this.jobs.enqueue('config.ping', { report: true });
  }
}

@Module({ providers: [ReportProducer], exports: [ReportProducer] })
class ReportsModule {}

describe('JobsModule configuration', () => {
  const pool = assertionPool();
  const schemas: string[] = [];
  const typeormTables: string[] = [];
  const apps = new Set<INestApplication>();
  /** Host DataSources opened by trackedTypeOrm(), closed even when the app never got to start. */
  const hostDataSources: Array<Promise<DataSource>> = [];

  const newSchema = (): string => {
    const schema = uniqueSchema('cfg');
    schemas.push(schema);
    return schema;
  };

  /** TypeOrmModule whose DataSource the test can close itself if the app fails to compile. */
  const trackedTypeOrm = (name?: string): DynamicModule =>
    TypeOrmModule.forRootAsync({
      name,
      useFactory: () => ({ type: 'postgres' as const, url: databaseUrl(), extra: { max: 3 } }),
      dataSourceFactory: (options?: DataSourceOptions) => {
        const initialized = new DataSource(options!).initialize();
        hostDataSources.push(initialized);
        return initialized;
      },
    });

  const closeHostDataSources = async (): Promise<void> => {
    for (const initialized of hostDataSources.splice(0)) {
      const ds = await initialized.catch(() => undefined);
      if (ds?.isInitialized) await ds.destroy();
    }
  };

  const boot = async (metadata: ModuleMetadata): Promise<INestApplication> => {
    const moduleRef = await Test.createTestingModule(metadata).compile();
    const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    try {
      await app.init();
    } catch (err) {
      await app.close().catch(() => undefined);
      throw err;
    }
    apps.add(app);
    return app;
  };

  const close = async (app: INestApplication): Promise<void> => {
    apps.delete(app);
    await app.close();
  };

  /** Starts an app that must fail; returns the error, having closed whatever it opened. */
  const bootFails = async (metadata: ModuleMetadata): Promise<unknown> => {
    try {
      const app = await boot(metadata);
      await close(app);
    } catch (err) {
      return err;
    } finally {
      await closeHostDataSources();
    }
    assert.fail('the application started, but it should have failed');
  };

  const jobRow = async (schema: string, id: string) =>
    (
      await pool.query<{ state: string; attempts: number }>(
        `SELECT state, attempts FROM "${schema}".jobs WHERE id = $1`,
        [id],
      )
    ).rows[0];

  /** Enqueues a job through `jobs` and waits until the database shows it completed, once. */
  const runsAJob = async (jobs: JobsService, schema: string, enqueue?: () => Promise<{ id: string }>) => {
    const job = await (enqueue ? enqueue() : jobs.enqueue('config.ping', { at: Date.now() }));
    await waitFor(async () => (await jobRow(schema, job.id))?.state === 'completed', {
      message: `job ${job.id} in ${schema} to complete`,
    });
    assert.equal((await jobRow(schema, job.id)).attempts, 1);
  };

  const backends = async (applicationName: string): Promise<number> =>
    (
      await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [
        applicationName,
      ])
    ).rows[0].n;

  const migrationRows = async (schema: string) =>
    (
      await pool.query<{ version: number; n: number }>(
        `SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY version ORDER BY version`,
      )
    ).rows.map((r) => [r.version, r.n]);

  after(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await closeHostDataSources();
    for (const schema of schemas) await dropSchema(pool, schema);
    for (const table of typeormTables) await pool.query(`DROP TABLE IF EXISTS public."${table}"`);
    await pool.end();
  });

  it('forRoot with the host default TypeORM DataSource', async () => {
    const schema = newSchema();
    const app = await boot({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl(), extra: { max: 3 } }),
        JobsModule.forRoot({ schema, migrationsRun: true, pollIntervalMs: 100 }),
      ],
      providers: [PingHandler],
    });
    await runsAJob(app.get(JobsService), schema);
    await close(app);
  });

  it('forRoot with a named host DataSource (dataSourceName)', async () => {
    const schema = newSchema();
    // Only the named DataSource exists: the module can only have worked through it.
    const app = await boot({
      imports: [
        TypeOrmModule.forRoot({ name: 'other', type: 'postgres', url: databaseUrl(), extra: { max: 3 } }),
        JobsModule.forRoot({ dataSourceName: 'other', schema, migrationsRun: true, pollIntervalMs: 100 }),
      ],
      providers: [PingHandler],
    });
    await runsAJob(app.get(JobsService), schema);
    await close(app);
  });

  it('fails at start, saying what to do, when the DataSource it should use does not exist', async () => {
    const unnamed = await bootFails({
      imports: [trackedTypeOrm('elsewhere'), JobsModule.forRoot({ schema: newSchema(), migrationsRun: true })],
      providers: [PingHandler],
    });
    assert.ok(unnamed instanceof InvalidJobOptionsError, String(unnamed));
    assert.equal(unnamed.field, 'connection');
    assert.match(unnamed.message, /TypeOrmModule\.forRoot\(\)/);

    const misnamed = await bootFails({
      imports: [
        trackedTypeOrm('elsewhere'),
        JobsModule.forRoot({ dataSourceName: 'missing', schema: newSchema(), migrationsRun: true }),
      ],
      providers: [PingHandler],
    });
    assert.ok(misnamed instanceof InvalidJobOptionsError, String(misnamed));
    assert.match(misnamed.message, /named "missing"/);
  });

  it('forRoot with its own connection and no TypeORM module; close() ends its connections', async () => {
    const schema = newSchema();
    const applicationName = `jobs-own-${randomBytes(4).toString('hex')}`;
    const app = await boot({
      imports: [
        JobsModule.forRoot({
          // Idle connections would outlive the test: only closing the pool can end them in time.
          connection: { url: databaseUrl(), applicationName, extra: { idleTimeoutMillis: 60_000 } },
          schema,
          migrationsRun: true,
          pollIntervalMs: 100,
        }),
      ],
      providers: [PingHandler],
    });
    await runsAJob(app.get(JobsService), schema);
    // The pool's connection and the LISTEN connection both carry the application name.
    assert.ok((await backends(applicationName)) >= 2, 'own pool and listener connections are open');

    await close(app);
    await waitFor(async () => (await backends(applicationName)) === 0, {
      timeoutMs: 5_000,
      message: `no backend with application_name ${applicationName}`,
    });
  });

  it('a start that fails on the schema check closes the connection the module opened', async () => {
    const schema = newSchema();
    const applicationName = `jobs-own-${randomBytes(4).toString('hex')}`;
    const err = await bootFails({
      imports: [
        JobsModule.forRoot({
          connection: { url: databaseUrl(), applicationName, extra: { idleTimeoutMillis: 60_000 } },
          schema,
          migrationsRun: false,
        }),
      ],
      providers: [PingHandler],
    });
    assert.ok(err instanceof JobsSchemaError, String(err));
    // No shutdown hook runs after a failed start: the module must close its own connection itself.
    await waitFor(async () => (await backends(applicationName)) === 0, {
      timeoutMs: 5_000,
      message: `no backend with application_name ${applicationName}`,
    });
  });

  it('forRootAsync with useFactory injecting a provider of an imported module; strings from configuration', async () => {
    const schema = newSchema();
    const seen: AppConfig[] = [];
    const config = { JOBS_SCHEMA: schema, JOBS_POLL_MS: '100', JOBS_CONCURRENCY: '3', JOBS_MIGRATIONS_RUN: 'true' };
    const app = await boot({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl(), extra: { max: 3 } }),
        JobsModule.forRootAsync({
          imports: [AppConfigModule.register(config)],
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            seen.push(config);
            // As users write it with ConfigService: every value is the environment's string.
            return {
              schema: config.get('JOBS_SCHEMA'),
              pollIntervalMs: config.get('JOBS_POLL_MS'),
              concurrency: config.get('JOBS_CONCURRENCY'),
              migrationsRun: config.get('JOBS_MIGRATIONS_RUN'),
              queues: { reports: { concurrency: config.get('JOBS_CONCURRENCY') } },
            };
          },
        }),
      ],
      providers: [PingHandler],
    });
    assert.equal(seen.length, 1);
    assert.ok(seen[0] instanceof AppConfig);
    // "3" became 3 slots in each of the two queues (default, and reports from the queues option).
    assert.equal(app.get(JobsRunner).capacity(), 6);
    await runsAJob(app.get(JobsService), schema);
    await close(app);
  });

  it('forRootAsync with useClass', async () => {
    const schema = newSchema();
    const app = await boot({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl(), extra: { max: 3 } }),
        JobsModule.forRootAsync({
          imports: [AppConfigModule.register({ JOBS_SCHEMA: schema })],
          useClass: JobsOptionsFromConfig,
        }),
      ],
      providers: [PingHandler],
    });
    await runsAJob(app.get(JobsService), schema);
    await close(app);
  });

  it('forRootAsync with useExisting', async () => {
    const schema = newSchema();
    const app = await boot({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl(), extra: { max: 3 } }),
        JobsModule.forRootAsync({
          imports: [JobsOptionsModule.register({ JOBS_SCHEMA: schema })],
          useExisting: JobsOptionsFromConfig,
        }),
      ],
      providers: [PingHandler],
    });
    // The existing instance of the imported module was asked, not a new one.
    assert.equal(app.get(JobsOptionsFromConfig, { strict: false }).calls, 1);
    await runsAJob(app.get(JobsService), schema);
    await close(app);
  });

  it('isGlobal: JobsService is injectable in a module that does not import JobsModule', async () => {
    const schema = newSchema();
    const app = await boot({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl(), extra: { max: 3 } }),
        JobsModule.forRoot({ schema, migrationsRun: true, pollIntervalMs: 100, isGlobal: true }),
        ReportsModule,
      ],
      providers: [PingHandler],
    });
    const producer = app.get(ReportProducer, { strict: false });
    await runsAJob(app.get(JobsService), schema, () => producer.send());
    await close(app);

    // Without isGlobal, the other module cannot see JobsService.
    const err = await bootFails({
      imports: [trackedTypeOrm(), JobsModule.forRoot({ schema, migrationsRun: true }), ReportsModule],
      providers: [PingHandler],
    });
    assert.match(String(err), /JobsService/);
  });

  it('migrationsRun false on a fresh schema fails at start; the TypeORM migrations make it start', async () => {
    const schema = newSchema();
    assert.equal(await schemaVersion(pool, schema), 0);
    const modules = () => [trackedTypeOrm(), JobsModule.forRoot({ schema, migrationsRun: false, pollIntervalMs: 100 })];

    const err = await bootFails({ imports: modules(), providers: [PingHandler] });
    assert.ok(err instanceof JobsSchemaError, String(err));
    assert.match(err.message, /migrationsRun/);
    assert.match(err.message, /JOBS_MIGRATIONS/);
    assert.equal(await schemaVersion(pool, schema), 0, 'a failed start creates nothing');

    const migrationsTableName = `${schema}_typeorm_migrations`;
    typeormTables.push(migrationsTableName);
    const host = new DataSource({
      type: 'postgres',
      url: databaseUrl(),
      migrations: createJobsMigrations(schema),
      migrationsTableName,
    });
    await host.initialize();
    try {
      const ran = await host.runMigrations();
      assert.equal(ran.length, LATEST_SCHEMA_VERSION);
      assert.equal(await host.showMigrations(), false, 'no migration left pending');
    } finally {
      await host.destroy();
    }
    assert.equal(await schemaVersion(pool, schema), LATEST_SCHEMA_VERSION);
    assert.deepEqual(
      await migrationRows(schema),
      ALL_VERSIONS.map((v) => [v, 1]),
    );
    // The module's own migrator sees the TypeORM-applied schema as up to date.
    assert.deepEqual(await runMigrations(pool, schema), []);

    const app = await boot({ imports: modules(), providers: [PingHandler] });
    await runsAJob(app.get(JobsService), schema);
    await close(app);
    await closeHostDataSources();
  });

  for (const [options, field] of [
    [{ concurrency: 0 }, 'concurrency'],
    [{ schema: 'bad-name;drop' }, 'schema'],
    [{ pollIntervalMs: -1 }, 'pollIntervalMs'],
    [{ maxDetachedHandlers: -1 }, 'maxDetachedHandlers'],
    [{ maxDetachedHandlers: 1.5 }, 'maxDetachedHandlers'],
    [{ detachAfterMs: -1 }, 'detachAfterMs'],
    [{ concurrency: 'ten' }, 'concurrency'],
    [{ concurrency: '1.5' }, 'concurrency'],
    [{ leaseMs: '' }, 'leaseMs'],
    [{ queues: { emails: { concurrency: '-2' } } }, 'queues.emails.concurrency'],
    [{ workers: 'no' }, 'workers'],
    [{ retention: { completedMs: 'a day' } }, 'retention.completedMs'],
  ] as const) {
    it(`invalid option ${field}=${JSON.stringify(Object.values(options)[0])} fails at start`, async () => {
      const schema = newSchema();
      const err = await bootFails({
        // Configuration may hand the module strings: the wrong ones must be refused, naming the field.
        imports: [
          trackedTypeOrm(),
          JobsModule.forRoot({ schema, migrationsRun: true, ...(options as JobsModuleOptions) }),
        ],
        providers: [PingHandler],
      });
      assert.ok(err instanceof InvalidJobOptionsError, String(err));
      assert.equal(err.field, field);
      assert.ok(err.message.includes(field), err.message);
      // Rejected before anything was written.
      assert.equal(await schemaVersion(pool, schema), 0);
      const bad = await pool.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'bad-name;drop'`);
      assert.equal(bad.rowCount, 0);
    });
  }

  it('runMigrations from two pools at once on one fresh schema: both succeed, each version once', async () => {
    const schema = newSchema();
    const pools = [1, 2].map(() => new Pool({ connectionString: databaseUrl(), max: 2 }));
    try {
      const applied = await Promise.all(pools.map((p) => runMigrations(p, schema)));
      assert.deepEqual(applied.flat().sort(), ALL_VERSIONS, `applied: ${JSON.stringify(applied)}`);
      assert.ok(
        applied.some((a) => a.length === 0),
        'one of them found nothing left to do',
      );
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    assert.deepEqual(
      await migrationRows(schema),
      ALL_VERSIONS.map((v) => [v, 1]),
    );
    assert.equal(await schemaVersion(pool, schema), LATEST_SCHEMA_VERSION);
  });

  it('two apps starting at once with migrationsRun on one fresh schema both start, each version once', async () => {
    const schema = newSchema();
    const start = () =>
      boot({
        imports: [
          JobsModule.forRoot({
            connection: { url: databaseUrl(), extra: { max: 3 } },
            schema,
            migrationsRun: true,
            pollIntervalMs: 100,
          }),
        ],
        providers: [PingHandler],
      });
    const results = await Promise.allSettled([start(), start()]);
    const [a, b] = results.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    assert.deepEqual(
      await migrationRows(schema),
      ALL_VERSIONS.map((v) => [v, 1]),
    );
    await runsAJob(a.get(JobsService), schema);
    await runsAJob(b.get(JobsService), schema);
    await close(a);
    await close(b);
  });
});
