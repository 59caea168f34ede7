import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JobsDashboardModule, JobsModule, JobsObservabilityModule, type RetentionOptions } from 'nest-pg-jobs';
import { EmailHandler } from './handlers/email.handler';
import { EXECUTION_LOG, SimulateHandler } from './handlers/simulate.handler';
import { actorOf } from './security';

export interface AppOptions {
  databaseUrl: string;
  /** Most pooled connections (the jobs module's dedicated session is one more). */
  poolMax?: number;
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
  /** Keep-times of finished jobs (`JOBS_RETENTION_*`); unset ones are the library's defaults. */
  retention?: RetentionOptions;
  /** Admin writes at once and waiting their turn (the library's defaults when unset). */
  apiWrites?: { concurrency?: number; queue?: number };
}

/** The runnable service: jobs on the given database, the dashboard at `/` with its REST API under
 * `/api`, metrics and health: a host of the package's public modules only. */
@Module({})
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url: options.databaseUrl, poolSize: options.poolMax ?? 20 }),
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
          retention: options.retention,
        }),
        // The dashboard at `/`, its API at `/api`, its change feed at `/api/changes`.
        JobsDashboardModule.forRoot({
          path: '/',
          access: () => options.apiAccess ?? 'full',
          actor: actorOf,
          writes: options.apiWrites,
        }),
        // GET /metrics (Prometheus) and GET /health (terminus shape) at the root, not under /api.
        JobsObservabilityModule.forRoot(),
      ],
      providers: [EmailHandler, SimulateHandler, { provide: EXECUTION_LOG, useValue: options.executionLog ?? null }],
    };
  }
}
