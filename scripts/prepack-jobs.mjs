#!/usr/bin/env node
// `npm pack` / `npm publish` of libs/jobs runs this first (its prepack script): a clean build of the
// package (JavaScript and typings, without source maps or incremental build state), its ES module
// entries, and the README.
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { writeEsmEntries } from './esm-entries.mjs';

const root = new URL('..', import.meta.url).pathname;
const lib = join(root, 'libs/jobs');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(lib, 'dist'), { recursive: true, force: true });
const build = spawnSync(process.execPath, [tsc, '-p', join(lib, 'tsconfig.build.json')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
writeEsmEntries(join(lib, 'dist'));
// The package's README is the repository's (one text to keep right); LICENSE is committed in libs/jobs.
copyFileSync(join(root, 'README.md'), join(lib, 'README.md'));
