import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { defer, finalize, from, mergeMap, throwError, type Observable } from 'rxjs';
import { ConcurrencyGate } from '../core/concurrency-gate';
import { checkInt } from '../core/module-options';
import { JobsBusyError } from '../errors';
import { JOBS_ACTION_METADATA, JOBS_API_OPTIONS, type JobsApiOptions } from './access';

/** Writes the API runs at once, and how many more wait their turn, unless `JobsApiOptions.writes`
 * says otherwise. */
export const WRITE_LIMIT_DEFAULTS = { concurrency: 8, queue: 100 };

/**
 * Bounds the admin API's writes (routes marked `@RequiresJobsAction`): `concurrency` run at once,
 * `queue` more wait their turn, and past that a write is refused at once with 429 and `Retry-After`
 * (`JobsBusyError`), having done nothing. A burst of writes then holds at most `concurrency` of the
 * pool's connections, and reads, the runtime and health checks keep theirs. Reads are not bounded
 * here. Runs after the access guard, so a refused caller takes no turn.
 */
@Injectable()
export class JobsWriteLimiter implements NestInterceptor {
  private readonly gate: ConcurrencyGate;

  constructor(
    private readonly reflector: Reflector,
    @Inject(JOBS_API_OPTIONS) options: JobsApiOptions,
  ) {
    const concurrency = options.writes?.concurrency ?? WRITE_LIMIT_DEFAULTS.concurrency;
    const queue = options.writes?.queue ?? WRITE_LIMIT_DEFAULTS.queue;
    checkInt('writes.concurrency', concurrency, 1, 10_000);
    checkInt('writes.queue', queue, 0, 1_000_000);
    this.gate = new ConcurrencyGate(concurrency, queue);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.reflector.get(JOBS_ACTION_METADATA, context.getHandler())) return next.handle();
    const turn = this.gate.enter();
    if (!turn) return throwError(() => new JobsBusyError(1_000));
    return from(turn).pipe(mergeMap((release) => defer(() => next.handle()).pipe(finalize(release))));
  }
}
