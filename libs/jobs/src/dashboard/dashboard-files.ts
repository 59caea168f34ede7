import { Injectable, Logger } from '@nestjs/common';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** The prebuilt dashboard (Vite's output), shipped in the package beside the compiled library. */
export const DASHBOARD_BUILD_DIR = join(__dirname, '..', 'ui');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** One file of the build, with its gzip form when that is smaller. */
export interface DashboardFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  /** Named by its content hash (under `assets/`): cached for good. */
  immutable: boolean;
}

/**
 * The dashboard's files, read once at start into memory (a few hundred kB): the page's template
 * (`index.html`) and every other file by its path in the build (`assets/index-1a2b3c.js`). Nothing
 * outside the build can be asked for: lookups are by exact name in this map, never on disk.
 */
@Injectable()
export class DashboardFiles {
  private readonly logger = new Logger('JobsDashboard');
  private readonly files = new Map<string, DashboardFile>();
  readonly template: string | undefined;

  constructor() {
    const dir = DASHBOARD_BUILD_DIR;
    const index = join(dir, 'index.html');
    if (!existsSync(index)) {
      this.logger.error(`No dashboard build at ${dir}: the dashboard's API is served, its page is not.`);
      return;
    }
    this.template = readFileSync(index, 'utf8');
    for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const type = TYPES[extname(name)];
      if (!type || name === 'index.html') continue;
      const path = name.split('\\').join('/');
      const body = readFileSync(join(dir, name));
      const gzip = /^text\/|svg|json/.test(type) ? gzipSync(body, { level: 9 }) : undefined;
      this.files.set(path, {
        body,
        gzip: gzip && gzip.length < body.length ? gzip : undefined,
        type,
        immutable: path.startsWith('assets/'),
      });
    }
  }

  get(path: string): DashboardFile | undefined {
    return this.files.get(path);
  }
}
