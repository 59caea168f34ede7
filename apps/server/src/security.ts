import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';

/** Credentials of `JOBS_BASIC_AUTH` (`user:password`). */
export interface BasicAuth {
  user: string;
  password: string;
}

/** Paths open without credentials: load balancers and orchestrators probe health. */
const OPEN = new Set(['/health']);

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares in constant time (over fixed-length digests, so the length leaks nothing either). */
function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The user of a valid `Authorization: Basic` header, or null. */
function authenticate(header: string | undefined, auth: BasicAuth): string | null {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const [user, password] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  return same(user, auth.user) && same(password, auth.password) ? user : null;
}

/**
 * HTTP hardening of the example server, applied before any route:
 * - no `X-Powered-By`, and `X-Content-Type-Options: nosniff` on every answer;
 * - with `JOBS_BASIC_AUTH`, every path but /health needs the credentials (the dashboard, the API,
 *   /metrics); the user name is the actor recorded in the audit trail.
 * Without credentials, the server says at start what it exposes and to whom.
 */
export function applySecurity(
  app: NestExpressApplication,
  options: { host: string; basicAuth: BasicAuth | undefined },
  logger: LoggerService,
): void {
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const auth = options.basicAuth;
    if (!auth || OPEN.has(req.path)) return next();
    const user = authenticate(req.headers.authorization, auth);
    if (user === null) {
      res.setHeader('WWW-Authenticate', 'Basic realm="jobs", charset="UTF-8"');
      res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'Credentials required' });
      return;
    }
    res.locals.user = user;
    next();
  });
  const loopback = options.host === '127.0.0.1' || options.host === '::1' || options.host === 'localhost';
  if (options.basicAuth) {
    logger.log(`The dashboard, the API and /metrics require the JOBS_BASIC_AUTH credentials (/health stays open)`);
  } else if (loopback) {
    logger.log(
      `Listening on ${options.host} only, without authentication: anyone on this machine has full access ` +
        '(set HOST=0.0.0.0 and JOBS_BASIC_AUTH=user:password to serve other machines)',
    );
  } else {
    logger.warn(
      `Listening on ${options.host} WITHOUT AUTHENTICATION: anyone who reaches this port can enqueue, cancel and ` +
        'replay jobs and read every payload. Set JOBS_BASIC_AUTH=user:password, or put the server behind your own auth.',
    );
  }
}

/** The actor of a request for the audit trail: the authenticated user, else the API's default. */
export function actorOf(req: Request): string {
  const user = (req.res?.locals as { user?: unknown } | undefined)?.user;
  return typeof user === 'string' ? user : 'api';
}
