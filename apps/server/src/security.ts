import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { LoginThrottle } from './login-throttle';

/** Credentials of `JOBS_BASIC_AUTH` (`user:password`). */
export interface BasicAuth {
  user: string;
  password: string;
}

/** Paths open without credentials: load balancers and orchestrators probe health. */
const OPEN = new Set(['/health', '/health/ready', '/health/live']);

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
 * - with `JOBS_BASIC_AUTH`, every path but /health (and /health/ready, /health/live) needs the
 *   credentials (the dashboard, the API, /metrics); the user name is the actor recorded in the audit
 *   trail; failed logins are throttled per address (`LoginThrottle`).
 * Without credentials, the server says at start what it exposes and to whom.
 */
export function applySecurity(
  app: NestExpressApplication,
  options: { host: string; basicAuth: BasicAuth | undefined; apiAccess: 'full' | 'read-only' },
  logger: LoggerService,
): void {
  app.disable('x-powered-by');
  const throttle = new LoginThrottle();
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const auth = options.basicAuth;
    if (!auth || OPEN.has(req.path)) return next();
    const client = req.socket.remoteAddress ?? 'unknown';
    const wait = throttle.blockedFor(client);
    if (wait > 0) {
      res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
      res.status(429).json({ statusCode: 429, error: 'Too Many Requests', message: 'Too many failed logins' });
      return;
    }
    const user = authenticate(req.headers.authorization, auth);
    if (user === null) {
      // A request without credentials is a browser asking for them, not a wrong guess.
      if (req.headers.authorization !== undefined) throttle.failed(client);
      res.setHeader('WWW-Authenticate', 'Basic realm="jobs", charset="UTF-8"');
      res.status(401).json({ statusCode: 401, error: 'Unauthorized', message: 'Credentials required' });
      return;
    }
    throttle.succeeded(client);
    res.locals.user = user;
    next();
  });
  const loopback = options.host === '127.0.0.1' || options.host === '::1' || options.host === 'localhost';
  const readOnly = options.apiAccess === 'read-only';
  if (options.basicAuth) {
    logger.log(
      'The dashboard, the API and /metrics require the JOBS_BASIC_AUTH credentials (/health stays open); ' +
        `${throttle.max} failed logins from an address within ${throttle.windowMs / 1000} s lock it out for the rest of that time`,
    );
  } else if (loopback) {
    const access = readOnly
      ? 'can read every job and payload (JOBS_API_ACCESS=read-only: no writes)'
      : 'has full access';
    logger.log(
      `Listening on ${options.host} only, without authentication: anyone on this machine ${access} ` +
        '(set HOST=0.0.0.0 and JOBS_BASIC_AUTH=user:password to serve other machines)',
    );
  } else {
    const access = readOnly
      ? 'can read every job and payload (JOBS_API_ACCESS=read-only: no writes)'
      : 'can enqueue, cancel and replay jobs and read every payload';
    logger.warn(
      `Listening on ${options.host} WITHOUT AUTHENTICATION: anyone who reaches this port ${access}. ` +
        'Set JOBS_BASIC_AUTH=user:password, or put the server behind your own auth.',
    );
  }
}

/** The actor of a request for the audit trail: the authenticated user, else the API's default. */
export function actorOf(req: Request): string {
  const user = (req.res?.locals as { user?: unknown } | undefined)?.user;
  return typeof user === 'string' ? user : 'api';
}
