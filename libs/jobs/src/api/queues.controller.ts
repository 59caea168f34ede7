import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Req,
  UseFilters,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import type { Request } from 'express';
import { JobsOperatorsService } from '../services/jobs-operators.service';
import { JobsService } from '../services/jobs.service';
import { QueueStatisticsService, type QueueSummary } from '../services/queue-statistics.service';
import { JOBS_API_OPTIONS, JobsAccessGuard, RequiresJobsAction, resolveActor, type JobsApiOptions } from './access';
import { JobsExceptionFilter } from './jobs-exception.filter';
import { JobsJsonBodyGuard } from './json-body.guard';
import { JobsWriteLimiter } from './write-limiter';

/** Queues: the overview, and pause/resume (the `pause` right). */
@Controller('queues')
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard, JobsJsonBodyGuard)
@UseInterceptors(JobsWriteLimiter)
export class QueuesController {
  constructor(
    private readonly jobs: JobsService,
    private readonly stats: QueueStatisticsService,
    private readonly operators: JobsOperatorsService,
    @Inject(JOBS_API_OPTIONS) private readonly options: JobsApiOptions,
  ) {}

  @Get()
  async list(): Promise<{ items: QueueSummary[] }> {
    return { items: await this.stats.queues() };
  }

  @Post(':name/pause')
  @RequiresJobsAction('pause')
  @HttpCode(200)
  async pause(@Param('name') name: string, @Req() req: Request): Promise<QueueSummary> {
    await this.jobs.pauseQueue(name, { actor: await resolveActor(this.options, req) });
    return this.summary(name);
  }

  @Post(':name/resume')
  @RequiresJobsAction('pause')
  @HttpCode(200)
  async resume(@Param('name') name: string): Promise<QueueSummary> {
    await this.jobs.resumeQueue(name);
    return this.summary(name);
  }

  /** `{ concurrency }`: the queue's per-node concurrency (0-1,000, or null for each node's own). */
  @Patch(':name')
  @RequiresJobsAction('pause')
  async update(@Param('name') name: string, @Body() body: unknown, @Req() req: Request): Promise<QueueSummary> {
    await this.operators.setConcurrency(name, body, { actor: await resolveActor(this.options, req) });
    return this.summary(name);
  }

  /** Deletes the queue's settings (audited): 409 while it holds unfinished jobs. */
  @Delete(':name')
  @RequiresJobsAction('pause')
  async remove(@Param('name') name: string, @Req() req: Request): Promise<{ name: string; deleted: boolean }> {
    const deleted = await this.operators.deleteQueue(name, { actor: await resolveActor(this.options, req) });
    return { name, deleted };
  }

  private async summary(name: string): Promise<QueueSummary> {
    const summary = await this.stats.queue(name);
    if (!summary) throw new Error(`queue "${name}" is missing from the overview right after its update`);
    return summary;
  }
}
