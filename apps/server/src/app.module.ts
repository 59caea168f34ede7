import { Module, type DynamicModule } from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobsApiModule, JobsModule, JobsObservabilityModule } from 'nest-pg-jobs';
import { EmailHandler } from './handlers/email.handler';
import { EXECUTION_LOG, SimulateHandler } from './handlers/simulate.handler';
import { actorOf } from './security';

export interface AppOptions {
  databaseUrl: string;
  concurrency?: number;
  schema?: string;
  shutdownGracePeriodMs?: number;
  leaseMs?: number;
  pollIntervalMs?: number;
  maxPendingJobs?: number;
  idempotencyWindowMs?: number;
  /** File the `simulate` handler appends `start`/`end` lines to, one per execution event. */
  executionLog?: string;
  /** What callers of the admin API may do (`JOBS_API_ACCESS`); default `full`. */
  apiAccess?: 'full' | 'read-only';
  /** Admin writes at once and waiting their turn (the library's defaults when unset). */
  apiWrites?: { concurrency?: number; queue?: number };
}

/** The runnable service: jobs on the given database, the REST API under /api, health. */
@Module({})
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: options.databaseUrl, extra: { max: 20 } }),
        JobsModule.forRoot({
          isGlobal: true,
          migrationsRun: true,
          schema: options.schema,
          concurrency: options.concurrency,
          shutdownGracePeriodMs: options.shutdownGracePeriodMs,
          leaseMs: options.leaseMs,
          pollIntervalMs: options.pollIntervalMs,
          maxPendingJobs: options.maxPendingJobs,
          idempotencyWindowMs: options.idempotencyWindowMs,
        }),
        JobsApiModule.forRoot({
          access: () => options.apiAccess ?? 'full',
          actor: actorOf,
          writes: options.apiWrites,
        }),
        RouterModule.register([{ path: 'api', module: JobsApiModule }]),
        // GET /metrics (Prometheus) and GET /health (terminus shape) at the root, not under /api.
        JobsObservabilityModule.forRoot(),
      ],
      providers: [EmailHandler, SimulateHandler, { provide: EXECUTION_LOG, useValue: options.executionLog ?? null }],
    };
  }
}
