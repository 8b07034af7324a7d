import { expect, Page } from '@playwright/test';
import { spawn, ChildProcess } from 'node:child_process';

export const PASSWORD = 'tollgate-demo';

/** Signs in through the sign-in page and waits for the signed-in layout. */
export async function signIn(page: Page, username: string, next = '/') {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('user-name')).toBeVisible();
}

/** Waits until the WASM has taken over the page (the body gets a marker when it has). */
export async function waitForHydration(page: Page) {
  await page.waitForFunction(() => document.body.dataset.hydrated === 'true', null, { timeout: 20_000 });
}

/** Starts another server instance on `port` against the test database; resolves when healthy. */
export async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn('../target/debug/tollgate', [], {
    env: {
      ...process.env,
      DATABASE_URL: process.env.E2E_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5545/tollgate_e2e',
      TOLLGATE_DEMO: 'false',
      TOLLGATE_ADDR: `127.0.0.1:${port}`,
      TOLLGATE_SITE_ROOT: '../target/site',
      RUST_LOG: 'warn',
    },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) return child;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`server on port ${port} did not come up`);
}

export async function stopServer(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}
