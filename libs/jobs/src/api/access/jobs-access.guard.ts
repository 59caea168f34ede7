import { ForbiddenException, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { expandAccess, type JobsAction, type JobsApiOptions } from './access.interface';
import { JOBS_ACTION_METADATA } from './jobs-action.decorator';

export const JOBS_API_OPTIONS = Symbol('JOBS_API_OPTIONS');

/** Header every write must carry. Browsers do not add custom headers to cross-site form posts or
 * image loads, and a cross-site `fetch` with one needs a CORS preflight we never grant: with
 * cookie-based auth, a foreign page cannot make the user's browser replay or cancel jobs. */
export const CSRF_HEADER = 'x-requested-with';

/**
 * Runs the host's guards, then, on write routes, checks the CSRF header and the caller's rights.
 * A read-only caller gets 403 on every write.
 */
@Injectable()
export class JobsAccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
    @Inject(JOBS_API_OPTIONS) private readonly options: JobsApiOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    for (const guard of this.options.guards ?? []) {
      const instance = typeof guard === 'function' ? await this.moduleRef.create(guard) : guard;
      if (!(await instance.canActivate(context))) return false;
    }
    const action = this.reflector.get<JobsAction | undefined>(JOBS_ACTION_METADATA, context.getHandler());
    if (!action) return true;
    const req = context.switchToHttp().getRequest<Request>();
    if (!req.headers[CSRF_HEADER]) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `Writes must send the ${CSRF_HEADER} header (CSRF protection)`,
        action,
      });
    }
    const rights = expandAccess((await this.options.access?.(req)) ?? 'full');
    if (!rights[action]) {
      throw new ForbiddenException({
        statusCode: 403,
        error: 'Forbidden',
        message: `Not allowed to ${action}`,
        action,
      });
    }
    return true;
  }
}
