#!/usr/bin/env node
// `npm pack` / `npm publish` of libs/jobs runs this first (its prepack script): a clean build of the
// package (JavaScript and typings, without source maps or incremental build state), its ES module
// entries, the prebuilt dashboard (dist/ui, served by JobsDashboardModule), and the README.
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeEsmEntries } from './esm-entries.mjs';

const root = new URL('..', import.meta.url).pathname;
const lib = join(root, 'libs/jobs');
const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const vite = join(root, 'node_modules/vite/bin/vite.js');

rmSync(join(lib, 'dist'), { recursive: true, force: true });
const build = spawnSync(process.execPath, [tsc, '-p', join(lib, 'tsconfig.build.json')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
writeEsmEntries(join(lib, 'dist'));
const ui = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn', '--config', 'dashboard/vite.config.mts'], {
  cwd: root,
  stdio: 'inherit',
});
if (ui.status !== 0) process.exit(ui.status ?? 1);
// The package's README is the repository's (one text to keep right); LICENSE is committed in libs/jobs.
copyFileSync(join(root, 'README.md'), join(lib, 'README.md'));
