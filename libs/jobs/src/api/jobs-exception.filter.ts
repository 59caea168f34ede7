import { Catch, HttpStatus, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import {
  InvalidJobOptionsError,
  JobNotFoundError,
  JobsError,
  JobStateError,
  PayloadTooLargeError,
  UnknownJobTypeError,
} from '../errors';

/** Maps the module's errors to HTTP answers with a JSON body that names what was wrong. */
@Catch(JobsError)
export class JobsExceptionFilter implements ExceptionFilter {
  catch(error: JobsError, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const [status, field] = statusOf(error);
    res.status(status).json({
      statusCode: status,
      error: error.name,
      message: error.message,
      ...(field ? { field } : {}),
    });
  }
}

function statusOf(error: JobsError): [number, string | undefined] {
  if (error instanceof InvalidJobOptionsError) return [HttpStatus.BAD_REQUEST, error.field];
  if (error instanceof UnknownJobTypeError) return [HttpStatus.BAD_REQUEST, 'type'];
  if (error instanceof PayloadTooLargeError) return [HttpStatus.PAYLOAD_TOO_LARGE, 'payload'];
  if (error instanceof JobNotFoundError) return [HttpStatus.NOT_FOUND, undefined];
  if (error instanceof JobStateError) return [HttpStatus.CONFLICT, 'state'];
  return [HttpStatus.INTERNAL_SERVER_ERROR, undefined];
}
