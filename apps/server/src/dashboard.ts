import type { LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

/** dashboard/dist of the repository, from apps/server/dist at run time. */
export const DASHBOARD_DIR = resolve(__dirname, '../../../dashboard/dist');

/** Paths the dashboard never answers: the API, metrics and health stay the server's. */
const RESERVED = ['/api', '/metrics', '/health'];

/** The dashboard's pages may load only the dashboard's own files and talk only to this origin. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function isReserved(path: string): boolean {
  return RESERVED.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function fileIn(dir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = resolve(dir, `.${decoded}`);
  if (!file.startsWith(dir + sep)) return undefined;
  try {
    return statSync(file).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Serves the built dashboard (dashboard/dist) at `/`: its files, and index.html for any other GET
 * that asks for a page (client-side routes such as /jobs/42), never for /api, /metrics or /health.
 * Must be called before the app listens, so that it runs ahead of the 404 of unknown routes.
 * Without a build, logs how to make one; the API is served either way.
 */
export function serveDashboard(app: NestExpressApplication, logger: LoggerService, dir = DASHBOARD_DIR): boolean {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    logger.warn?.(
      `No dashboard build at ${dir}: the API is served, the dashboard is not. Build it with \`npm run build\` (or \`npm run build:dashboard\`).`,
    );
    return false;
  }
  app.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isReserved(req.path)) return next();
    const file = req.path === '/' ? undefined : fileIn(dir, req.path);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', CSP);
    if (file) {
      // Vite names built assets by content hash: they never change under the same name.
      const immutable = req.path.startsWith('/assets/');
      return res.sendFile(file, { maxAge: immutable ? '365d' : 0, immutable, dotfiles: 'deny' }, (err) => {
        if (err) next(err);
      });
    }
    // A missing asset (a path with an extension) is a 404, not the app.
    if (extname(req.path) !== '' || !req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    return res.sendFile(index, (err) => {
      if (err) next(err);
    });
  });
  logger.log(`Dashboard served at / from ${dir}`);
  return true;
}
