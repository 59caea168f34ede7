import { Controller, Get, Query, UseFilters, UseGuards } from '@nestjs/common';
import type { DeadLetterGroups } from '../interfaces';
import { JobsOperatorsService } from '../services/jobs-operators.service';
import type { AuditRow } from '../storage/operators.repository';
import { JobsAccessGuard } from './access';
import { JobsExceptionFilter } from './jobs-exception.filter';

/** Reads for operators: the dead letters grouped by error, and the audit log of deletes, cleans and
 * queue settings. */
@Controller()
@UseFilters(JobsExceptionFilter)
@UseGuards(JobsAccessGuard)
export class OperatorsController {
  constructor(private readonly operators: JobsOperatorsService) {}

  @Get('dead-letters/groups')
  async groups(@Query() query: unknown): Promise<DeadLetterGroups> {
    return this.operators.deadLetterGroups(query);
  }

  @Get('audit')
  async audit(@Query() query: unknown): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
    return this.operators.auditLog(query);
  }
}
