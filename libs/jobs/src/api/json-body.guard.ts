import { HttpException, HttpStatus, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** `application/json`, or a `+json` type such as `application/merge-patch+json`, with parameters. */
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * A request that carries a body must say it is JSON (`415 Unsupported Media Type` otherwise). The
 * host's body parsers read only the types they know: a form post would reach a route as fields, and
 * a `text/plain` body as nothing at all, so a replay with an edited payload sent as text would
 * answer 200 and replay the old payload. A request without a body (no `Content-Length`, or 0, and
 * no `Transfer-Encoding`) needs no type. Works on Express and Fastify requests alike (headers only).
 */
@Injectable()
export class JobsJsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const { headers } = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const length = headers['content-length'];
    const hasBody = headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (!hasBody) return true;
    const type = headers['content-type'];
    if (typeof type === 'string' && JSON_TYPE.test(type)) return true;
    throw new HttpException(
      {
        statusCode: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        error: 'Unsupported Media Type',
        message: `Send the body as application/json (got ${typeof type === 'string' ? JSON.stringify(type.slice(0, 100)) : 'no Content-Type'})`,
      },
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    );
  }
}
