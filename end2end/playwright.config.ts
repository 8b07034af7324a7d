import { defineConfig } from '@playwright/test';

// The server under test: the debug build, on its own port, on a fresh database with the demo.
// scripts/test.sh creates that database and passes its URL in E2E_DATABASE_URL.
const port = Number(process.env.E2E_PORT ?? 3100);
export const baseURL = `http://127.0.0.1:${port}`;
// The OpenID provider the single sign-on test signs in at (server/tests/peers/oidc).
export const oidcPort = Number(process.env.E2E_OIDC_PORT ?? port + 7);
export const oidcIssuer = `http://127.0.0.1:${oidcPort}`;

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
  webServer: [{
    command: `node oidc-peer.mjs ${oidcPort} ${baseURL}/auth/oidc/callback`,
    cwd: '../server/tests/peers/oidc',
    url: `${oidcIssuer}/.well-known/openid-configuration`,
    reuseExistingServer: false,
    timeout: 30_000,
    stdout: 'ignore',
    stderr: 'pipe',
  }, {
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
      // The sweeps (expiry, level timers) every second: the timers test moves a ticket's clock.
      TOLLGATE_EXPIRY_SWEEP_SECONDS: '1',
      // Single sign-on from the environment, as at a first start.
      TOLLGATE_PUBLIC_URL: baseURL,
      TOLLGATE_OIDC_ISSUER: oidcIssuer,
      TOLLGATE_OIDC_CLIENT_ID: 'tollgate',
      TOLLGATE_OIDC_CLIENT_SECRET: 'tollgate-secret',
      TOLLGATE_OIDC_BUTTON_LABEL: 'Sign in with Example ID',
      RUST_LOG: 'warn',
    },
  }],
});
