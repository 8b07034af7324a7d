import { test, expect } from '@playwright/test';
import { signIn, waitForHydration, startServer, stopServer, PASSWORD } from './helpers';

test('alice signs in and sees her name; sign out ends the session', async ({ page }) => {
  await signIn(page, 'alice');
  await expect(page.getByTestId('user-name')).toHaveText('Alice Liddell');
  await expect(page).toHaveURL(/\/$/);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  // The old session is gone: a protected page sends us back to sign in.
  await page.goto('/');
  await expect(page).toHaveURL(/\/login\?next=%2F/);
});

test('a wrong password shows an error and creates no session', async ({ page, context }) => {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toHaveText('Wrong username or password.');
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === 'tollgate_session')).toBeUndefined();
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
});

test('an unknown user gets the same answer as a wrong password', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username').fill('nobody-here');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('login-error')).toHaveText('Wrong username or password.');
});

test('a page that needs sign-in comes back after it', async ({ page }) => {
  await page.goto('/some/deep/page?x=1');
  await expect(page).toHaveURL(/\/login\?next=/);
  await waitForHydration(page);
  await page.getByLabel('Username').fill('dave');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/some\/deep\/page\?x=1$/);
});

test('the session survives a server restart', async ({ browser }) => {
  const port = Number(process.env.E2E_PORT ?? 3100) + 11;
  let server = await startServer(port);
  const context = await browser.newContext({ baseURL: `http://127.0.0.1:${port}` });
  const page = await context.newPage();
  try {
    await signIn(page, 'bob');
    await stopServer(server);
    server = await startServer(port);
    await page.reload();
    await expect(page.getByTestId('user-name')).toHaveText('Bob Builder');
  } finally {
    await context.close();
    await stopServer(server);
  }
});
