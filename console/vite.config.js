import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// Served by the gateway under /console/ (gateway/console.py); the build emits no inline script, so the
// page runs under a Content-Security-Policy that allows the same origin's scripts only.
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    assetsInlineLimit: 0, // fonts and icons as files of our own origin, never data: URLs in scripts
    chunkSizeWarningLimit: 1500,
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.js'],
  },
});
