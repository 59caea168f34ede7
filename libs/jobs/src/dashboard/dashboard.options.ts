import type { FactoryProvider, ModuleMetadata } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { JobsApiOptions } from '../api';

/** What `JobsDashboardModule` takes besides its path: the API's options (guards, access, actor) and
 * the page's. */
export interface JobsDashboardSettings extends JobsApiOptions {
  /**
   * A CSP nonce for this request, when the host sets its own Content-Security-Policy with nonces:
   * the page's script and stylesheet tags carry it, and the page's own policy names it. The request
   * and response are the platform's (Express's, or Fastify's request and reply).
   */
  nonce?: (req: Request, res: Response) => string | undefined;
  /**
   * The page's `Content-Security-Policy` header: the default allows only the dashboard's own files
   * and requests to this origin (no inline script, no external fonts or CDNs); a string replaces it;
   * `false` sends none (the host sets its own).
   */
  contentSecurityPolicy?: string | false;
  /**
   * Whether a reverse proxy's `X-Forwarded-Prefix` (the path prefix it removed) is put before the
   * dashboard's own path in the page's links and redirects. Default `true`; only a plain path
   * (`/a/b`) is taken, so the page can never point at another origin.
   */
  forwardedPrefix?: boolean;
}

export interface JobsDashboardOptions extends JobsDashboardSettings {
  /**
   * Where the dashboard lives in the host application, relative to the host's global prefix and
   * `RouterModule` path, like a controller's path: `'admin/jobs'` serves the page at `/admin/jobs`,
   * its files under `/admin/jobs/assets/` and the API under `/admin/jobs/api/`. `'/'` for the root.
   * Default: `'jobs'`.
   */
  path?: string;
}

export interface JobsDashboardAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** As in `forRoot` (default `'jobs'`): the routes are laid out when the module is defined, so the
   * path is given here, not by the factory. */
  path?: string;
  inject?: FactoryProvider['inject'];
  useFactory: FactoryProvider<JobsDashboardSettings>['useFactory'];
}
