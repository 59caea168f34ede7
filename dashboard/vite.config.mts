import { defineConfig } from 'vite';

// Built by `npm run build` (and `npm start`) into dashboard/dist, which apps/server serves at `/`.
// `npx vite --config dashboard/vite.config.ts` runs a dev server that proxies the API to :3000.
const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  root,
  base: '/',
  // JSX is compiled by Vite's own transformer (React 17+ automatic runtime): no React plugin needed.
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
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
