import { test, expect, Page } from '@playwright/test';
import { as, openTicket, startServer, stepUpOrg, stopServer, waitForHydration } from './helpers';
import { baseURL } from '../playwright.config';

// Browsers refuse passkeys for an IP address, so this test reaches Tollgate as `localhost`: a
// second instance on the same database whose public URL says so. Chromium's virtual
// authenticator (WebAuthn over CDP) plays the person's passkey.
const port = Number(new URL(baseURL).port) + 13;
const site = `http://localhost:${port}`;

async function passwordStep(page: Page, username: string, password: string) {
  await page.goto(`${site}/login`);
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('a passkey: registered on the Security page, then it signs in and approves at a step-up level', async ({ browser }) => {
  const server = await startServer(port, { TOLLGATE_PUBLIC_URL: site });
  const admin = await as(browser, 'admin');
  const n = Date.now() % 100000;
  const org = `Keys ${n}`;
  try {
    // pia approves a level that asks for a fresh second factor.
    await stepUpOrg(admin.page, {
      username: `pia${n}`, displayName: 'Pia Passkey', password: 'pia-password-1', org, asset: `keys-${n}`,
    });
    const applicant = await as(browser, 'alice');
    const t = await openTicket(applicant.page, { title: 'Keys access', org, assets: [`keys-${n}`] });
    await applicant.context.close();

    const context = await browser.newContext({ baseURL: site });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });

    // Registered with a name, without a second factor before it.
    await passwordStep(page, `pia${n}`, 'pia-password-1');
    await expect(page.getByTestId('user-name')).toHaveText('Pia Passkey');
    await page.goto('/security');
    await waitForHydration(page);
    const keys = page.getByTestId('passkeys');
    await keys.getByLabel('Name').fill('Laptop');
    await keys.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.getByRole('status')).toContainText('Passkey added');
    await expect(keys.getByTestId('passkey')).toHaveCount(1);
    await expect(keys.getByTestId('passkey')).toContainText('Laptop');
    await expect(page.getByTestId('security-events')).toContainText('Passkey added by Pia Passkey');

    // The password alone now stops at the code page; the passkey signs in.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login/);
    await passwordStep(page, `pia${n}`, 'pia-password-1');
    await expect(page).toHaveURL(/\/login\/code/);
    await waitForHydration(page);
    await page.getByTestId('use-passkey').click();
    await expect(page.getByTestId('user-name')).toHaveText('Pia Passkey');

    // Every decision asks (no window): the passkey answers, and the history says so.
    const before = await (await admin.page.request.get('/api/v1/sign-in/settings')).json();
    const put = (data: object) => admin.page.request.put('/api/v1/sign-in/settings', { data });
    expect((await put({ ...before, step_up_minutes: 0 })).status()).toBe(200);
    try {
      await page.goto(`/tickets/${t.id}`);
      await waitForHydration(page);
      const decision = page.getByTestId('decision');
      await decision.getByRole('button', { name: 'Approve' }).click();
      await expect(decision.getByRole('alert')).toContainText('fresh second factor');
      await decision.getByTestId('use-passkey').click();
      await expect(decision.getByTestId('use-passkey')).toHaveText('Passkey ready ✓');
      await decision.getByRole('button', { name: 'Approve' }).click();
      await expect(page.locator('.badge.approved')).toBeVisible();
      await expect(page.getByTestId('history')).toContainText('approved level 1 with a passkey');
    } finally {
      expect((await put(before)).status()).toBe(200);
    }

    // Renamed in place; removed after confirming with it.
    await page.goto('/security');
    await waitForHydration(page);
    await keys.getByRole('button', { name: 'Rename' }).click();
    await keys.getByLabel('Passkey name').fill('Work laptop');
    await keys.getByRole('button', { name: 'Save' }).click();
    await expect(keys.getByTestId('passkey')).toContainText('Work laptop');
    await expect(keys.getByTestId('passkey')).toContainText('last used');
    await keys.getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByRole('status')).toContainText('Passkey removed');
    await expect(keys.getByTestId('passkey')).toHaveCount(0);
    await context.close();
  } finally {
    await admin.context.close();
    await stopServer(server);
  }
});
