import { defineConfig } from '@playwright/test';

// The server under test: the debug build, on its own port, on a fresh database with the demo.
// scripts/test.sh creates that database and passes its URL in E2E_DATABASE_URL.
const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;

export const chromiumArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
  },
  webServer: {
    command: '../target/debug/tollgate',
    url: `${baseURL}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5545/tollgate_e2e',
      TOLLGATE_DEMO: 'true',
      TOLLGATE_ADDR: `127.0.0.1:${port}`,
      TOLLGATE_SITE_ROOT: '../target/site',
      // The webhooks test's receiver listens on the loopback.
      TOLLGATE_WEBHOOK_ALLOW: '127.0.0.0/8',
      RUST_LOG: 'warn',
    },
  },
});
