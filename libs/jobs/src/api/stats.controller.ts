import { Controller, Get, Query, UseFilters, UseGuards } from '@nestjs/common';
import { InvalidJobOptionsError } from '../errors';
import { JobsMetrics, type JobsStatsSnapshot } from '../observability/jobs-metrics';
import { MAX_SERIES_MINUTES, QueueStatisticsService, type SeriesPoint } from '../services/queue-statistics.service';
import { JobsAccessGuard } from './access';
import { JobsExceptionFilter } from './jobs-exception.filter';

/** This node's metrics snapshot, and per-minute outcomes across the cluster for charts. */
@Controller('stats')
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard)
export class StatsController {
  constructor(
    private readonly metrics: JobsMetrics,
    private readonly stats: QueueStatisticsService,
  ) {}

  @Get()
  snapshot(): JobsStatsSnapshot {
    return this.metrics.snapshot();
  }

  /** `?minutes=60` (1-1440), optionally `&queue=`: one point per minute, oldest first. */
  @Get('series')
  async series(@Query('minutes') minutes?: string, @Query('queue') queue?: string): Promise<{ points: SeriesPoint[] }> {
    const n = minutes === undefined ? 60 : Number(minutes);
    if (!Number.isInteger(n) || n < 1 || n > MAX_SERIES_MINUTES) {
      throw new InvalidJobOptionsError('minutes', `must be an integer from 1 to ${MAX_SERIES_MINUTES}`);
    }
    if (queue !== undefined && typeof queue !== 'string') throw new InvalidJobOptionsError('queue', 'must be a string');
    return { points: await this.stats.series(n, queue) };
  }
}
