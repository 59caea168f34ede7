// The page's settings, written by the server as JSON in index.html (never as inline script, so a
// Content-Security-Policy without 'unsafe-inline' holds). The same build serves any path: the base
// is known only at run time.

interface PageConfig {
  /** The dashboard's path as the browser sees it, with a trailing slash: `/admin/jobs/`. */
  base: string;
}

function readConfig(): PageConfig {
  const element = document.getElementById('jobs-dashboard-config');
  try {
    const parsed = JSON.parse(element?.textContent ?? '{}') as Partial<PageConfig>;
    if (typeof parsed.base === 'string' && parsed.base.startsWith('/')) {
      return { base: parsed.base.endsWith('/') ? parsed.base : `${parsed.base}/` };
    }
  } catch {
    // No settings (Vite's dev server): the dashboard at `/`.
  }
  return { base: '/' };
}

export const config = readConfig();

/** The dashboard's base without its trailing slash: '' at the root, `/admin/jobs` otherwise. */
const root = config.base.replace(/\/$/, '');

/** The browser's URL of a page of the dashboard (`/jobs/42` -> `/admin/jobs/jobs/42`). */
export function pageHref(to: string): string {
  const cut = to.search(/[?#]/);
  const path = cut < 0 ? to : to.slice(0, cut);
  const rest = cut < 0 ? '' : to.slice(cut);
  // The home page is the base without its slash: Fastify routes no trailing slash by default.
  if (path === '/' || path === '') return `${root === '' ? '/' : root}${rest}`;
  return `${root}${path.startsWith('/') ? path : `/${path}`}${rest}`;
}

/** The dashboard's page path of a browser path (`/admin/jobs/jobs/42` -> `/jobs/42`). */
export function pagePath(pathname: string): string {
  if (root === '') return pathname;
  if (pathname === root) return '/';
  return pathname.startsWith(`${root}/`) ? pathname.slice(root.length) : pathname;
}

/** The URL of an API path (`/api/jobs` -> `/admin/jobs/api/jobs`): the API lives under the dashboard. */
export function apiUrl(path: string): string {
  return path.startsWith('/api/') || path === '/api' ? `${root}${path}` : path;
}
