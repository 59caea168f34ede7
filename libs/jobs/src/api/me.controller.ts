import { Controller, Get, Inject, Req, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { expandAccess, JOBS_API_OPTIONS, JobsAccessGuard, type JobsAction, type JobsApiOptions } from './access';

/** What the caller may do, so the dashboard can hide the actions it would be refused. */
@Controller('me')
@UseGuards(JobsAccessGuard)
export class MeController {
  constructor(@Inject(JOBS_API_OPTIONS) private readonly options: JobsApiOptions) {}

  @Get()
  async me(@Req() req: Request): Promise<{ access: Record<JobsAction | 'read', boolean> }> {
    return { access: expandAccess((await this.options.access?.(req)) ?? 'full') };
  }
}
