import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { JobsHealthIndicator, type JobsHealthCheckResult } from './jobs-health.indicator';
import { JOBS_OBSERVABILITY_OPTIONS, JobsPrometheus, type JobsObservabilityOptions } from './jobs-prometheus';

/** `GET /metrics`: the jobs metrics in Prometheus text format. */
@Controller('metrics')
export class JobsMetricsController {
  constructor(private readonly prometheus: JobsPrometheus) {}

  @Get()
  async metrics(@Res() res: Response): Promise<void> {
    const text = await this.prometheus.text();
    res.setHeader('Content-Type', this.prometheus.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(text);
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
  ) {}

  @Get()
  async health(@Res() res: Response): Promise<void> {
    await this.ready(res);
  }

  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const result = await this.indicator.check(this.options.healthTimeoutMs ?? 2_000);
    res.setHeader('Cache-Control', 'no-store');
    res.status(result.status === 'ok' ? 200 : 503).json(result);
  }

  @Get('live')
  live(): JobsHealthCheckResult {
    const process = { status: 'up' as const, uptimeSeconds: Math.round(globalThis.process.uptime()) };
    return { status: 'ok', info: { process }, error: {}, details: { process } };
  }
}
