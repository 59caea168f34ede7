import 'reflect-metadata';
import type { INestApplication, ModuleMetadata, Provider } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { JobsModule, JobsRunner, JobsService, type JobsModuleOptions } from 'nest-pg-jobs';
import { databaseUrl, dropSchema, uniqueSchema } from './database';

export interface TestApp {
  app: INestApplication;
  jobs: JobsService;
  runner: JobsRunner;
  schema: string;
  close(): Promise<void>;
}

/** Nest's two HTTP platforms. */
export type Platform = 'express' | 'fastify';

/**
 * Boots a Nest application with the host TypeORM DataSource and JobsModule on a schema of its own,
 * with fast polling so tests do not wait long. `close()` runs the real shutdown (drain, hand back).
 * `setUp` runs before `init()` (a global prefix, say).
 */
export async function createTestApp(
  handlers: Provider[],
  options: JobsModuleOptions = {},
  extra: Pick<ModuleMetadata, 'imports' | 'controllers'> & {
    platform?: Platform;
    setUp?: (app: INestApplication) => void;
  } = {},
): Promise<TestApp> {
  const schema = options.schema ?? uniqueSchema();
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({ type: 'postgres', url: databaseUrl(), extra: { max: 10 } }),
      JobsModule.forRoot({ migrationsRun: true, pollIntervalMs: 100, ...options, schema, isGlobal: true }),
      ...(extra.imports ?? []),
    ],
    controllers: extra.controllers ?? [],
    providers: handlers,
  }).compile();
  const logger: ['error', 'warn'] = ['error', 'warn'];
  const app =
    extra.platform === 'fastify'
      ? moduleRef.createNestApplication(new FastifyAdapter(), { logger })
      : moduleRef.createNestApplication({ logger });
  extra.setUp?.(app);
  await app.init();
  return {
    app,
    jobs: app.get(JobsService),
    runner: app.get(JobsRunner),
    schema,
    close: () => app.close(),
  };
}

/** Closes the app (if still open) and drops its schema. */
export async function disposeTestApp(t: TestApp | undefined, pool: Pool): Promise<void> {
  if (!t) return;
  await t.close().catch(() => undefined);
  await dropSchema(pool, t.schema);
}
