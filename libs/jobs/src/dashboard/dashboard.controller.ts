import {
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Req,
  Res,
  StreamableFile,
  UseGuards,
  type Type,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Request, Response } from 'express';
import { JOBS_API_OPTIONS, JobsAccessGuard } from '../api/access';
import { DashboardFiles, type DashboardFile } from './dashboard-files';
import { basePath, defaultContentSecurityPolicy, forwardedPrefix, renderPage } from './dashboard-page';
import type { JobsDashboardSettings } from './dashboard.options';

/** The dashboard's own pages (its client routes): a deep link to any of them loads the app. */
const PAGES = ['jobs', 'retries', 'dead-letters', 'queues', 'schedules', 'audit'];
const DETAIL_PAGES = ['jobs/:id', 'schedules/:name'];
const NONCE = /^[A-Za-z0-9+/_=-]{8,200}$/;

/**
 * The dashboard's page and files at `path` (a controller of the host's application, behind the
 * module's guards and the host's global ones, on Express or Fastify): `GET path` and each client
 * route answer the page (`no-cache`); `GET path/assets/<hashed name>` a file of the build
 * (`immutable`); an unknown file is a 404. `path/` redirects to `path` (where the platform routes
 * trailing slashes: Express; Fastify with `ignoreTrailingSlash`).
 */
export function dashboardControllerAt(path: string): Type {
  @Controller(path)
  @UseGuards(JobsAccessGuard)
  class JobsDashboardController {
    constructor(
      private readonly files: DashboardFiles,
      private readonly adapterHost: HttpAdapterHost,
      @Inject(JOBS_API_OPTIONS) private readonly options: JobsDashboardSettings,
    ) {}

    @Get()
    home(@Req() req: Request, @Res() res: Response): void {
      const url = this.requestUrl(req);
      if (url.pathname.length > 1 && url.pathname.endsWith('/')) {
        const target = basePath(url.pathname, 0, this.prefix(req));
        if (!target) throw new NotFoundException();
        this.adapterHost.httpAdapter.redirect(res, 301, `${target.replace(/\/$/, '') || '/'}${url.search}`);
        return;
      }
      this.page(req, res, 0);
    }

    @Get(PAGES)
    section(@Req() req: Request, @Res() res: Response): void {
      this.page(req, res, 1);
    }

    @Get(DETAIL_PAGES)
    detail(@Req() req: Request, @Res() res: Response): void {
      this.page(req, res, 2);
    }

    @Get('assets/:name')
    asset(@Param('name') name: string, @Req() req: Request, @Res() res: Response): void {
      this.file(`assets/${name}`, req, res);
    }

    @Get('favicon.svg')
    favicon(@Req() req: Request, @Res() res: Response): void {
      this.file('favicon.svg', req, res);
    }

    private requestUrl(req: Request): URL {
      return new URL(String(this.adapterHost.httpAdapter.getRequestUrl(req)), 'http://localhost');
    }

    private prefix(req: Request): string {
      if (this.options.forwardedPrefix === false) return '';
      return forwardedPrefix(req.headers['x-forwarded-prefix']);
    }

    private page(req: Request, res: Response, depth: number): void {
      const http = this.adapterHost.httpAdapter;
      const template = this.files.template;
      if (template === undefined) throw new NotFoundException('The dashboard is not built');
      const base = basePath(this.requestUrl(req).pathname, depth, this.prefix(req));
      if (!base) throw new NotFoundException();
      const given = this.options.nonce?.(req, res);
      const nonce = given !== undefined && NONCE.test(given) ? given : undefined;
      const policy = this.options.contentSecurityPolicy ?? defaultContentSecurityPolicy(nonce);
      if (policy !== false) http.setHeader(res, 'Content-Security-Policy', policy);
      http.setHeader(res, 'Content-Type', 'text/html; charset=utf-8');
      http.setHeader(res, 'Cache-Control', 'no-cache');
      http.setHeader(res, 'Vary', 'X-Forwarded-Prefix');
      http.setHeader(res, 'X-Content-Type-Options', 'nosniff');
      http.setHeader(res, 'Referrer-Policy', 'same-origin');
      http.reply(res, renderPage(template, { base }, nonce), 200);
    }

    private file(name: string, req: Request, res: Response): void {
      const file: DashboardFile | undefined = this.files.get(name);
      if (!file) throw new NotFoundException(`No file ${name.slice(0, 100)} in the dashboard`);
      const http = this.adapterHost.httpAdapter;
      const gzip = file.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) ? file.gzip : undefined;
      http.setHeader(res, 'Content-Type', file.type);
      http.setHeader(res, 'Cache-Control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      http.setHeader(res, 'X-Content-Type-Options', 'nosniff');
      if (file.gzip) http.setHeader(res, 'Vary', 'Accept-Encoding');
      if (gzip) http.setHeader(res, 'Content-Encoding', 'gzip');
      const body = gzip ?? file.body;
      http.reply(res, new StreamableFile(body, { type: file.type, length: body.length }), 200);
    }
  }
  return JobsDashboardController;
}
