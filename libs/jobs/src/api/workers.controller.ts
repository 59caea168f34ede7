import { Controller, Get, UseFilters, UseGuards } from '@nestjs/common';
import { JobsQueueStats, type WorkerSummary } from '../stats/jobs-queue-stats';
import { JobsAccessGuard } from './access';
import { JobsExceptionFilter } from './jobs-exception.filter';

/** Live nodes (`<schema>.workers`) and the jobs each is running. */
@Controller('workers')
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard)
export class WorkersController {
  constructor(private readonly stats: JobsQueueStats) {}

  @Get()
  async list(): Promise<{ items: WorkerSummary[] }> {
    return { items: await this.stats.workers() };
  }
}
