import { Catch, Logger, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { clientMistakeLine, logText } from './log-text';

/**
 * For the host's global filters (`app.useGlobalFilters(new JobsRequestErrorFilter(httpAdapter))`):
 * a request the body parser refused (aborted, too large, unsupported charset or encoding, too
 * deep) answers its 4xx and is logged as one warning line without a stack, like the API's other
 * client mistakes; Nest's default logs each as an ERROR with a 15-line trace. Every other error
 * goes on to Nest's handling unchanged.
 */
@Catch()
export class JobsRequestErrorFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('JobsApi');

  override catch(error: unknown, host: ArgumentsHost): void {
    const status = clientStatusOf(error);
    if (status === null || host.getType() !== 'http') return super.catch(error, host);
    const { message, type } = error as Error & { type?: unknown };
    const http = host.switchToHttp();
    const req = http.getRequest<{ method?: string; originalUrl?: string; url?: string }>();
    const res = http.getResponse<unknown>();
    const reason = typeof type === 'string' ? ` (${logText(type, 40)})` : '';
    this.logger.warn(`${clientMistakeLine(req.method, req.originalUrl ?? req.url, status, message)}${reason}`);
    const adapter = this.applicationRef ?? this.httpAdapterHost?.httpAdapter;
    if (!adapter || adapter.isHeadersSent(res)) return;
    adapter.reply(res, { statusCode: status, message }, status);
  }
}

/** The status of an `http-errors` error meant for the client (`expose`, 4xx), else null. */
function clientStatusOf(error: unknown): number | null {
  if (!(error instanceof Error)) return null;
  const e = error as Error & { expose?: unknown; status?: unknown; statusCode?: unknown };
  const status = e.status ?? e.statusCode;
  return e.expose === true && typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}
