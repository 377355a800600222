// Vite build of the web client (docs/web.md). The output is served by `wangge serve`
// under a CSP of script-src 'self': nothing may be inlined into index.html.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The modulepreload polyfill is an inline <script>; every browser we target
    // supports modulepreload natively.
    modulePreload: { polyfill: false },
    // Small assets become data: URLs inside CSS/JS, never inline <script>/<style>.
    assetsInlineLimit: 4096,
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
  },
  server: {
    // `npm run dev` against a running `wangge serve` (scripts/run.sh).
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/tiles': 'http://127.0.0.1:8080',
    },
  },
});
