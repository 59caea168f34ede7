import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JobsRunner } from 'nest-pg-jobs';
import { loadConfig } from './config';
import { WorkerModule } from './worker.module';

/**
 * A worker-only process: `node apps/server/dist/worker.js` with `DATABASE_URL` set. It runs the
 * example handlers in a Nest application context (no HTTP server), the usual way to deploy workers
 * apart from the API. `enableShutdownHooks()` makes SIGTERM/SIGINT drain running jobs and hand the
 * rest back; the jobs module keeps the process alive while its workers run, through database
 * restarts included.
 */
async function main(): Promise<void> {
  const logger = new Logger('Worker');
  const config = loadConfig();
  if (!config.databaseUrl) throw new Error('DATABASE_URL must be set for a worker-only process');
  const app = await NestFactory.createApplicationContext(
    WorkerModule.register({
      databaseUrl: config.databaseUrl,
      poolMax: config.poolMax,
      concurrency: config.concurrency,
      schema: config.schema,
      shutdownGracePeriodMs: config.shutdownGracePeriodMs,
      leaseMs: config.leaseMs,
      pollIntervalMs: config.pollIntervalMs,
      maxPendingJobs: config.maxPendingJobs,
      idempotencyWindowMs: config.idempotencyWindowMs,
      executionLog: config.executionLog,
    }),
  );
  app.enableShutdownHooks();
  logger.log(`Worker node ${app.get(JobsRunner).nodeId} ready`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
