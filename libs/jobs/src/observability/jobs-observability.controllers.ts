import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { JobsHealthIndicator, type JobsHealthCheckResult } from './jobs-health.indicator';
import { JOBS_OBSERVABILITY_OPTIONS, JobsPrometheus, type JobsObservabilityOptions } from './jobs-prometheus';

/** `GET /metrics`: the jobs metrics in Prometheus text format (answered through the platform's
 * adapter: Express or Fastify). */
@Controller('metrics')
export class JobsMetricsController {
  constructor(
    private readonly prometheus: JobsPrometheus,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  async metrics(@Res() res: unknown): Promise<void> {
    const text = await this.prometheus.text();
    const http = this.adapterHost.httpAdapter;
    http.setHeader(res, 'Content-Type', this.prometheus.registry.contentType);
    http.setHeader(res, 'Cache-Control', 'no-store');
    http.reply(res, text, 200);
  }
}

/**
 * `GET /health` (and `/health/ready`): readiness, in `@nestjs/terminus`'s result shape, `503` when
 * the database does not answer or this node's workers are not running. `GET /health/live`: liveness,
 * `200` while the process serves requests (restarting it would not bring the database back).
 */
@Controller('health')
export class JobsHealthController {
  constructor(
    private readonly indicator: JobsHealthIndicator,
    @Inject(JOBS_OBSERVABILITY_OPTIONS) private readonly options: JobsObservabilityOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  async health(@Res() res: unknown): Promise<void> {
    await this.ready(res);
  }

  @Get('ready')
  async ready(@Res() res: unknown): Promise<void> {
    const result = await this.indicator.check(this.options.healthTimeoutMs ?? 2_000);
    const http = this.adapterHost.httpAdapter;
    http.setHeader(res, 'Cache-Control', 'no-store');
    http.reply(res, result, result.status === 'ok' ? 200 : 503);
  }

  @Get('live')
  live(): JobsHealthCheckResult {
    const process = { status: 'up' as const, uptimeSeconds: Math.round(globalThis.process.uptime()) };
    return { status: 'ok', info: { process }, error: {}, details: { process } };
  }
}
