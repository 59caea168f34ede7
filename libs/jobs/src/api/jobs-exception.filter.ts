import { Catch, HttpStatus, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import {
  InvalidJobOptionsError,
  JobsBusyError,
  QueueInUseError,
  JobNotFoundError,
  JobsError,
  JobStateError,
  PayloadTooLargeError,
  QueueFullError,
  UnknownJobTypeError,
  JobsUnavailableError,
  JobsStatementTimeoutError,
  ScheduleConflictError,
  ScheduleNotFoundError,
} from '../errors';
import { unavailableError } from '../storage/database-errors';
import { clientMistakeLine } from './log-text';

/**
 * Maps the module's errors to HTTP answers with a JSON body that names what was wrong. A client's
 * mistake is a 4xx logged as one warning line (no stack: a flood of bad requests must not flood the
 * log with traces). Input checks refuse what PostgreSQL cannot store before anything is written; a
 * value that still reaches the database and is refused there as data (SQLSTATE class 22) is a 400
 * too, never a 500; a database that cannot be reached or is out of connections is a 503 with
 * Retry-After. Anything else is Nest's: a 500, logged with its stack. Answers through Nest's HTTP
 * adapter, so on Express and Fastify alike.
 */
@Catch()
export class JobsExceptionFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('JobsApi');

  override catch(thrown: unknown, host: ArgumentsHost): void {
    // A database that is down or out of connections is a 503 whatever the request was, not a 500.
    const error = thrown instanceof JobsError ? thrown : (unavailableError('answer', thrown) ?? thrown);
    const http = host.switchToHttp();
    const req = http.getRequest<unknown>();
    const res = http.getResponse<unknown>();
    const adapter = this.httpAdapterHost?.httpAdapter ?? this.applicationRef;
    if (!adapter) {
      super.catch(error, host);
      return;
    }
    let status: number;
    let body: Record<string, unknown>;
    if (error instanceof JobsError) {
      const [code, field] = statusOf(error);
      status = code;
      const name = error instanceof JobsStatementTimeoutError ? 'StatementTimeout' : error.name;
      body = { statusCode: status, error: name, message: error.message, ...(field ? { field } : {}) };
      if (error instanceof QueueFullError) {
        adapter.setHeader(res, 'Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
        Object.assign(body, { queue: error.queue, limit: error.limit, retryAfterMs: error.retryAfterMs });
      }
      if (error instanceof JobsUnavailableError) adapter.setHeader(res, 'Retry-After', '1');
      if (error instanceof JobsBusyError) {
        adapter.setHeader(res, 'Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
      }
    } else if (isStatementTimeout(error)) {
      // A statement canceled by a timeout the module did not set (the host's statement_timeout).
      status = HttpStatus.SERVICE_UNAVAILABLE;
      const message = `The database did not answer in time (${error.message}); narrow the filters (queue, state, type, dates) and try again`;
      body = { statusCode: status, error: 'StatementTimeout', message };
      adapter.setHeader(res, 'Retry-After', '5');
    } else if (isDataException(error)) {
      status = HttpStatus.BAD_REQUEST;
      body = { statusCode: status, error: 'InvalidInput', message: `A value cannot be stored: ${error.message}` };
    } else {
      super.catch(error, host);
      return;
    }
    if (status === HttpStatus.BAD_REQUEST || status === HttpStatus.PAYLOAD_TOO_LARGE) {
      this.logger.warn(
        clientMistakeLine(adapter.getRequestMethod?.(req), adapter.getRequestUrl?.(req), status, body.message),
      );
    }
    adapter.reply(res, body, status);
  }
}

function statusOf(error: JobsError): [number, string | undefined] {
  if (error instanceof InvalidJobOptionsError) return [HttpStatus.BAD_REQUEST, error.field];
  if (error instanceof UnknownJobTypeError) return [HttpStatus.BAD_REQUEST, 'type'];
  if (error instanceof PayloadTooLargeError) return [HttpStatus.PAYLOAD_TOO_LARGE, 'payload'];
  if (error instanceof JobNotFoundError) return [HttpStatus.NOT_FOUND, undefined];
  if (error instanceof JobStateError) return [HttpStatus.CONFLICT, 'state'];
  if (error instanceof ScheduleNotFoundError) return [HttpStatus.NOT_FOUND, undefined];
  if (error instanceof ScheduleConflictError) return [HttpStatus.CONFLICT, 'name'];
  if (error instanceof QueueFullError) return [HttpStatus.TOO_MANY_REQUESTS, undefined];
  if (error instanceof JobsBusyError) return [HttpStatus.TOO_MANY_REQUESTS, undefined];
  if (error instanceof QueueInUseError) return [HttpStatus.CONFLICT, 'queue'];
  if (error instanceof JobsUnavailableError) return [HttpStatus.SERVICE_UNAVAILABLE, undefined];
  if (error instanceof JobsStatementTimeoutError) return [HttpStatus.SERVICE_UNAVAILABLE, undefined];
  return [HttpStatus.INTERNAL_SERVER_ERROR, undefined];
}

/** PostgreSQL's query_canceled (a statement timeout), unwrapped. */
function isStatementTimeout(error: unknown): error is Error {
  return error instanceof Error && (error as { code?: unknown }).code === '57014';
}

/** A PostgreSQL "data exception" (SQLSTATE class 22): a value the database refused to store or
 * compare, such as an out-of-range date or an invalid Unicode escape. */
function isDataException(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}
