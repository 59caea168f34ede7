import { defineConfig } from 'vite';

// Built by `npm run build` (and the package's prepack) into libs/jobs/dist/ui: the package ships it
// and JobsDashboardModule serves it at any path. File references are relative (`./assets/…`); the
// server puts a `<base href>` with the dashboard's path in the page, so one build serves every path.
// `npx vite --config dashboard/vite.config.mts` runs a dev server that proxies the API to :3000.
const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root,
  base: './',
  // The REST contract is the library's own (dashboard/tsconfig.json maps the same names): type-only
  // imports, erased here, and `jobs.constants` (plain values) for the job states.
  resolve: {
    alias: {
      '@jobs/interfaces': new URL('../libs/jobs/src/interfaces/rest-contract.interface.ts', import.meta.url).pathname,
      '@jobs/constants': new URL('../libs/jobs/src/jobs.constants.ts', import.meta.url).pathname,
    },
  },
  // JSX is compiled by Vite's own transformer (React 17+ automatic runtime): no React plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: '../libs/jobs/dist/ui',
    emptyOutDir: true,
    // Not shipped: the package carries the dashboard's code only.
    sourcemap: false,
    rolldownOptions: {
      // TanStack Query marks modules "use client" (for React Server Components): meaningless in an SPA.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    proxy: { '/api': 'http://localhost:3000', '/health': 'http://localhost:3000', '/metrics': 'http://localhost:3000' },
  },
});
