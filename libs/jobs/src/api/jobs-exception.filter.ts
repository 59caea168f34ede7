import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import {
  InvalidJobOptionsError,
  JobNotFoundError,
  JobsError,
  JobStateError,
  PayloadTooLargeError,
  QueueFullError,
  UnknownJobTypeError,
  JobsUnavailableError,
} from '../errors';

/** Maps the module's errors to HTTP answers with a JSON body that names what was wrong. */
@Catch(JobsError)
export class JobsExceptionFilter implements ExceptionFilter {
  catch(error: JobsError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const [status, field] = statusOf(error);
    const full = error instanceof QueueFullError;
    if (full) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
    if (error instanceof JobsUnavailableError) res.setHeader('Retry-After', '1');
    res.status(status).json({
      statusCode: status,
      error: error.name,
      message: error.message,
      ...(field ? { field } : {}),
      ...(full ? { queue: error.queue, limit: error.limit, retryAfterMs: error.retryAfterMs } : {}),
    });
  }
}

function statusOf(error: JobsError): [number, string | undefined] {
  if (error instanceof InvalidJobOptionsError) return [HttpStatus.BAD_REQUEST, error.field];
  if (error instanceof UnknownJobTypeError) return [HttpStatus.BAD_REQUEST, 'type'];
  if (error instanceof PayloadTooLargeError) return [HttpStatus.PAYLOAD_TOO_LARGE, 'payload'];
  if (error instanceof JobNotFoundError) return [HttpStatus.NOT_FOUND, undefined];
  if (error instanceof JobStateError) return [HttpStatus.CONFLICT, 'state'];
  if (error instanceof QueueFullError) return [HttpStatus.TOO_MANY_REQUESTS, undefined];
  if (error instanceof JobsUnavailableError) return [HttpStatus.SERVICE_UNAVAILABLE, undefined];
  return [HttpStatus.INTERNAL_SERVER_ERROR, undefined];
}
