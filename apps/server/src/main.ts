import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { JobsRequestErrorFilter } from 'nest-pg-jobs';
import { AppModule } from './app.module';
import { loadConfig, retentionText } from './config';
import { applySecurity } from './security';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-db';

async function main(): Promise<void> {
  const logger = new Logger('Server');
  const config = loadConfig();
  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl) {
    logger.log(`Using the database at ${databaseUrl.replace(/:[^:@/]*@/, ':***@')} (DATABASE_URL)`);
  } else {
    embedded = await startEmbeddedPostgres(config.dataDir);
    databaseUrl = embedded.url;
    logger.log(`DATABASE_URL is not set: started embedded PostgreSQL, data kept in ${embedded.dataDir}`);
  }
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.register({
      databaseUrl,
      poolMax: config.poolMax,
      concurrency: config.concurrency,
      schema: config.schema,
      shutdownGracePeriodMs: config.shutdownGracePeriodMs,
      leaseMs: config.leaseMs,
      pollIntervalMs: config.pollIntervalMs,
      maxPendingJobs: config.maxPendingJobs,
      idempotencyWindowMs: config.idempotencyWindowMs,
      executionLog: config.executionLog,
      apiAccess: config.apiAccess,
      retention: config.retention,
      apiWrites: config.apiWrites,
    }),
  );
  logger.log(retentionText(config.retention));
  // Credentials (JOBS_BASIC_AUTH) and headers first, ahead of every route (the dashboard's too).
  applySecurity(app, { host: config.host, basicAuth: config.basicAuth, apiAccess: config.apiAccess }, logger);
  // JSON bodies up to 2 MiB reach the payload check (1 MiB by default), which answers 413 with a clear body.
  app.useBodyParser('json', { limit: '2mb' });
  // Bodies the parser refuses (aborted, too large, bad charset or encoding): their 4xx, one warning line.
  app.useGlobalFilters(new JobsRequestErrorFilter(app.getHttpAdapter()));
  // The server handles SIGTERM/SIGINT itself (a library user calls app.enableShutdownHooks()):
  // app.close() runs the lifecycle hooks, so running jobs drain or are handed back, and then the
  // embedded database, if any, stops after the last connection is closed.
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.log(`${signal} received: draining jobs and shutting down`);
    void (async () => {
      try {
        await app.close();
        await embedded?.stop();
        process.exit(0);
      } catch (err) {
        logger.error(err);
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await app.listen(config.port, config.host);
  logger.log(`Listening on http://localhost:${(app.getHttpServer().address() as { port: number }).port}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
