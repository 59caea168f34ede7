/** The page's settings, read by the dashboard from `<script type="application/json">` (never inline
 * script: a Content-Security-Policy without 'unsafe-inline' holds). */
export interface DashboardPageConfig {
  /** The dashboard's path as the browser sees it, with a trailing slash: `/admin/jobs/`. */
  base: string;
}

/** Id of the JSON element the dashboard reads its settings from. */
export const CONFIG_ELEMENT_ID = 'jobs-dashboard-config';

/** A path of plain segments: no empty segment (`//host` would name another origin), no `.` or `..`. */
const PLAIN_PATH = /^(\/(?!\.\.?(\/|$))[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$/;

/**
 * The path prefix a reverse proxy removed, from `X-Forwarded-Prefix` (its first value): `/jobs-ui`
 * for `X-Forwarded-Prefix: /jobs-ui/`. Anything but a plain path is ignored.
 */
export function forwardedPrefix(header: string | string[] | undefined): string {
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim() ?? '';
  const prefix = first.replace(/\/+$/, '');
  return prefix.length <= 200 && PLAIN_PATH.test(prefix) ? prefix : '';
}

/**
 * The dashboard's base path from the path of a request to one of its pages: the request's path
 * without its last `depth` segments (a page's own: 0 for the home page, 1 for `/jobs`, 2 for
 * `/jobs/42`), with a trailing slash, behind the proxy's prefix. Undefined when the result is not a
 * plain path.
 */
export function basePath(requestPath: string, depth: number, prefix = ''): string | undefined {
  const segments = requestPath.replace(/\/+$/, '').split('/');
  const base = `${prefix}${segments.slice(0, segments.length - depth).join('/')}`;
  if (base === '') return '/';
  return PLAIN_PATH.test(base) ? `${base}/` : undefined;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** JSON that cannot end the element it is written in (`</script>`) nor open a comment. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

/**
 * The page from the build's `index.html` (whose file references are relative, `./assets/…`): a
 * `<base href>` first in `<head>` so they resolve under the dashboard's path from any deep link, the
 * settings as JSON, and the nonce, if any, on every script and link tag.
 */
export function renderPage(template: string, config: DashboardPageConfig, nonce?: string): string {
  const nonceAttribute = nonce ? ` nonce="${escapeAttribute(nonce)}"` : '';
  let html = nonce ? template.replace(/<(script|link)\b/g, `<$1${nonceAttribute}`) : template;
  const settings = `<script type="application/json" id="${CONFIG_ELEMENT_ID}">${scriptJson(config)}</script>`;
  html = html.replace(/<head>/i, `<head>\n    <base href="${escapeAttribute(config.base)}" />`);
  return html.replace(/<\/head>/i, `  ${settings}\n  </head>`);
}

/** The page's default policy: its own files only, requests to this origin only. */
export function defaultContentSecurityPolicy(nonce?: string): string {
  const own = nonce ? `'self' 'nonce-${nonce}'` : "'self'";
  return [
    "default-src 'self'",
    `script-src ${own}`,
    `style-src ${own}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}
