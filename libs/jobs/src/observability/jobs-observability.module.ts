import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { JobsHealthController, JobsMetricsController } from './jobs-observability.controllers';
import { JOBS_OBSERVABILITY_OPTIONS, JobsPrometheus, type JobsObservabilityOptions } from './jobs-prometheus';

/**
 * `GET /metrics` (Prometheus) and `GET /health` for the jobs engine, meant for the root of the
 * host's HTTP server (not under the admin API's prefix). Needs `JobsModule` with `isGlobal: true`.
 * The routes are not behind the admin API's access guard: expose them to your scrapers and probes
 * only (a host-wide guard or the network).
 */
@Module({})
export class JobsObservabilityModule {
  static forRoot(options: JobsObservabilityOptions = {}): DynamicModule {
    const controllers: Type[] = [];
    if (options.metrics !== false) controllers.push(JobsMetricsController);
    if (options.health !== false) controllers.push(JobsHealthController);
    return {
      module: JobsObservabilityModule,
      controllers,
      providers: [{ provide: JOBS_OBSERVABILITY_OPTIONS, useValue: options }, JobsPrometheus],
      exports: [JobsPrometheus],
    };
  }
}
