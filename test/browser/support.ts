import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { artifactsRoot, repoRoot } from '../support/cluster';

/** Debian's Chromium (package `chromium`); `.ci/run` installs it. */
export const CHROMIUM = process.env.JOBS_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium) to run the browser tests`;
}

const dashboardDir = join(repoRoot, 'dashboard');
/** Where the build goes: the package ships it (libs/jobs/dist/ui) and JobsDashboardModule serves it. */
const builtIndex = join(repoRoot, 'libs', 'jobs', 'dist', 'ui', 'index.html');

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds the dashboard when its build is missing or older than its sources. */
export function ensureDashboardBuilt(): void {
  const sources = Math.max(
    newestMtime(join(dashboardDir, 'src')),
    newestMtime(join(dashboardDir, 'index.html')),
    newestMtime(join(dashboardDir, 'vite.config.mts')),
  );
  if (existsSync(builtIndex) && statSync(builtIndex).mtimeMs >= sources) return;
  console.warn('# building the dashboard (its build is missing or older than its sources)');
  execFileSync(
    process.execPath,
    [join(repoRoot, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'dashboard/vite.config.mts'],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Screenshots of every run (gitignored). */
export const screenshotsDir = join(artifactsRoot, 'screenshots');
/** The README's screenshots, refreshed only with JOBS_UPDATE_SCREENSHOTS=1. */
const docsScreenshots = join(repoRoot, 'docs', 'screenshots');

/** Saves a screenshot of the page; with `forDocs`, also to docs/screenshots when asked to. */
export async function screenshot(page: Page, name: string, { forDocs = false } = {}): Promise<string> {
  mkdirSync(screenshotsDir, { recursive: true });
  const file = join(screenshotsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (forDocs && process.env.JOBS_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(docsScreenshots, { recursive: true });
    copyFileSync(file, join(docsScreenshots, `${name}.png`));
  }
  return file;
}
