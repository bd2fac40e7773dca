import { defineConfig } from 'vitest/config';

// Two projects: `unit` (*.spec.ts, next to the code: no database, no build, no network beyond loopback)
// and `e2e` (test/**/*.e2e-spec.ts: PostgreSQL via the global setup, some spawn dist/src/main.js).
// `npx vitest run` runs both; `npm run test:unit` only the first.
export default defineConfig({
  test: {
    // e2e files each boot the app on their own database; two at a time suits a 2-core machine.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'],
          testTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
