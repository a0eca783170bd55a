import { defineConfig } from 'vite';

/**
 * The console's build: React with the automatic JSX runtime through Vite's own transformer (no React plugin:
 * the console needs no fast refresh in a build, and that plugin would bring Babel in). `npm run console:dev`
 * serves it with hot reload against `npm start`'s API on 127.0.0.1:3000 (CONSOLE_API overrides it).
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/local'].map((path) => [path, process.env.CONSOLE_API ?? 'http://127.0.0.1:3000']),
    ),
  },
});
