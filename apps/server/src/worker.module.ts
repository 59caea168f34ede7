import { Module, type DynamicModule } from '@nestjs/common';
import { JobsModule } from 'nest-pg-jobs';
import { EmailHandler } from './handlers/email.handler';
import { EXECUTION_LOG, SimulateHandler } from './handlers/simulate.handler';
import type { AppOptions } from './app.module';

/**
 * The worker-only application: the same handlers and job settings as the server, on a connection
 * of the module's own, with no HTTP server, REST API or TypeORM module (see worker.ts).
 */
@Module({})
export class WorkerModule {
  static register(options: AppOptions): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        JobsModule.forRoot({
          connection: { url: options.databaseUrl, poolSize: options.poolMax },
          migrationsRun: true,
          schema: options.schema,
          concurrency: options.concurrency,
          shutdownGracePeriodMs: options.shutdownGracePeriodMs,
          leaseMs: options.leaseMs,
          pollIntervalMs: options.pollIntervalMs,
          maxPendingJobs: options.maxPendingJobs,
          idempotencyWindowMs: options.idempotencyWindowMs,
        }),
      ],
      providers: [EmailHandler, SimulateHandler, { provide: EXECUTION_LOG, useValue: options.executionLog ?? null }],
    };
  }
}
