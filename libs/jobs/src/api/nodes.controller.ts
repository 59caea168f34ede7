import { Controller, Get, UseFilters, UseGuards } from '@nestjs/common';
import { JobsAdminService, type NodeSummary } from '../services/jobs-admin.service';
import { JobsAccessGuard } from './access';
import { JobsExceptionFilter } from './jobs-exception.filter';

/** Live nodes (`<schema>.nodes`) and the jobs each is running. */
@Controller('nodes')
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard)
export class NodesController {
  constructor(private readonly admin: JobsAdminService) {}

  @Get()
  async list(): Promise<{ items: NodeSummary[] }> {
    return { items: await this.admin.nodes() };
  }
}
