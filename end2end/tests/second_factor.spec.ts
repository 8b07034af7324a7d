import { test, expect, Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { as, newPerson, openTicket, signIn, stepUpOrg, waitForHydration } from './helpers';

/** The RFC 6238 code of a base32 `secret` at `at` (ms): what an authenticator app shows. */
function totp(secret: string, at = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secret.replace(/=+$/, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
}

/** The sign-in form, filled and sent. */
async function submitPassword(page: Page, username: string, password: string) {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** The password step of a sign-in for someone with a second factor: it stops at the code page. */
async function passwordStep(page: Page, username: string, password: string) {
  await submitPassword(page, username, password);
  await expect(page).toHaveURL(/\/login\/code/);
  await waitForHydration(page);
}

test('an authenticator app: set up on the Security page, then asked after the password; a recovery code works once', async ({ page, browser }) => {
  // A person of their own, so no other test meets the code page.
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, 'admin');
  await newPerson(admin, 'tess', 'Tess Two', 'tess-password-1');

  await submitPassword(page, 'tess', 'tess-password-1');
  await expect(page.getByTestId('user-name')).toHaveText('Tess Two');
  await page.getByTestId('user-name').click();
  await expect(page).toHaveURL(/\/security$/);
  await expect(page.getByTestId('second-factor-off')).toBeVisible();
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(page.getByRole('img', { name: 'QR code of the authenticator secret' })).toBeVisible();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  await page.getByLabel('The code the app shows').fill('000000');
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('alert')).toContainText('not right');
  await page.getByLabel('The code the app shows').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByTestId('second-factor-on')).toContainText('10 recovery codes left');
  const recovery = await page.getByTestId('recovery-codes').locator('li').allTextContents();
  expect(recovery).toHaveLength(10);
  await expect(page.getByTestId('security-events')).toContainText('Authenticator app set up by Tess Two');

  // The password alone stops at the code page; the next code of the app signs in.
  await signOut(page);
  await passwordStep(page, 'tess', 'tess-password-1');
  await page.getByLabel('Code').fill(totp(secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Tess Two');

  // A recovery code in place of the app, once.
  await signOut(page);
  await passwordStep(page, 'tess', 'tess-password-1');
  await page.getByLabel('Code').fill(recovery[0]);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Tess Two');
  await signOut(page);
  await passwordStep(page, 'tess', 'tess-password-1');
  await page.getByLabel('Code').fill(recovery[0]);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('login-error')).toContainText('not right');

  // Her phone is lost: a super admin resets it on the People page (two clicks).
  await admin.goto('/admin?tab=people');
  await waitForHydration(admin);
  const row = admin.locator('tr[data-user="tess"]');
  await expect(row).toContainText('second factor');
  await row.getByRole('button', { name: 'Reset second factor' }).click();
  await row.getByRole('button', { name: 'Really reset' }).click();
  await expect(admin.getByRole('status')).toContainText("tess's second factor reset");
  await expect(row.getByRole('button', { name: 'Reset second factor' })).toHaveCount(0);
  // The password alone signs her in again; she is told, and her Security page says who.
  await submitPassword(page, 'tess', 'tess-password-1');
  await expect(page.getByTestId('user-name')).toHaveText('Tess Two');
  await page.goto('/notifications');
  await expect(page.getByTestId('notification').first()).toContainText('Your second factor was reset');
  await page.goto('/security');
  await expect(page.getByTestId('second-factor-off')).toBeVisible();
  await expect(page.getByTestId('security-events')).toContainText('Second factor reset by Ada Admin');
  await expect(page.getByTestId('security-events')).toContainText('A recovery code was used');
});

test('a policy walks an org admin without a second factor through setting one up at sign-in', async ({ page, browser }) => {
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, 'admin');
  const olga = await newPerson(admin, 'olga', 'Olga Admin', 'olga-password-1');
  const orgs = await (await admin.request.get('/api/v1/orgs')).json();
  const def = orgs.items.find((o: { name: string }) => o.name === 'Default').id;
  expect((await admin.request.put(`/api/v1/orgs/${def}/members`, { data: { user_id: olga, role: 'org_admin' } })).status()).toBe(200);
  // Admin → Sign-in: org admins must have a second factor.
  await admin.goto('/admin?tab=sign-in');
  await waitForHydration(admin);
  await admin.getByLabel('Who must have a second factor').selectOption({ label: 'Super admins and org admins' });
  await admin.getByRole('button', { name: 'Save sign-in settings' }).click();
  await expect(admin.getByRole('status')).toContainText('saved');
  try {
    await page.goto('/login?next=/grants');
    await waitForHydration(page);
    await page.getByLabel('Username').fill('olga');
    await page.getByLabel('Password').fill('olga-password-1');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page).toHaveURL(/\/login\/set-up/);
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    await waitForHydration(page);
    await page.getByLabel('The code the app shows').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on and continue' }).click();
    await expect(page.getByTestId('recovery-codes').locator('li')).toHaveCount(10);
    await page.getByRole('link', { name: 'Continue' }).click();
    await expect(page).toHaveURL(/\/grants$/);
    await expect(page.getByTestId('user-name')).toHaveText('Olga Admin');
  } finally {
    // The other tests' admins sign in with their password alone.
    const r = await admin.request.get('/api/v1/sign-in/settings');
    const s = await r.json();
    s.second_factor = 'optional';
    expect((await admin.request.put('/api/v1/sign-in/settings', { data: s })).status()).toBe(200);
  }
});

test('a flow level that asks for a fresh second factor: the approver gives a code on the ticket page, and in bulk', async ({ browser }) => {
  const n = Date.now() % 100000;
  const org = `Vault ${n}`;
  const admin = await as(browser, 'admin');
  const orgId = await stepUpOrg(admin.page, {
    username: `vic${n}`, displayName: 'Vic Vault', password: 'vic-password-1', org, asset: `vault-${n}`,
  });
  // The flow editor shows the level's setting.
  await admin.page.goto(`/flows/${orgId}/apply_asset`);
  await waitForHydration(admin.page);
  await expect(admin.page.getByLabel('Approving or rejecting here asks for a fresh second factor')).toBeChecked();

  const applicant = await as(browser, 'alice');
  const t = await openTicket(applicant.page, { title: 'Vault access', org, assets: [`vault-${n}`] });
  for (const title of ['Vault batch one', 'Vault batch two']) {
    await openTicket(applicant.page, { title, org, assets: [`vault-${n}`] });
  }
  await applicant.context.close();

  // vic signs in with his password, then sets up an authenticator (no code given at sign-in).
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username').fill(`vic${n}`);
  await page.getByLabel('Password').fill('vic-password-1');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('user-name')).toHaveText('Vic Vault');
  const e = await (await page.request.post('/api/v1/me/second-factor/totp', { data: {} })).json();
  const confirmed = await page.request.post('/api/v1/me/second-factor/totp/confirm', { data: { code: totp(e.secret) } });
  expect(confirmed.status()).toBe(200);
  const recovery: string[] = (await confirmed.json()).recovery_codes;
  // Every decision at such a level asks (no window), for this test only.
  const before = await (await admin.page.request.get('/api/v1/sign-in/settings')).json();
  const put = (data: object) => admin.page.request.put('/api/v1/sign-in/settings', { data });
  expect((await put({ ...before, step_up_minutes: 0 })).status()).toBe(200);
  try {
    await page.goto(`/tickets/${t.id}`);
    await waitForHydration(page);
    await expect(page.getByTestId('steps')).toContainText('second factor');
    const decision = page.getByTestId('decision');
    await decision.getByRole('button', { name: 'Approve' }).click();
    await expect(decision.getByRole('alert')).toContainText('fresh second factor');
    await decision.getByLabel('Code from your authenticator app').fill(totp(e.secret, Date.now() + 30_000));
    await decision.getByRole('button', { name: 'Approve' }).click();
    await expect(page.locator('.badge.approved')).toBeVisible();
    await expect(page.getByTestId('history')).toContainText('approved level 1 with a code');

    // In bulk: the two others are refused, stay selected, and a code is asked; a recovery code does.
    await page.goto('/inbox');
    await waitForHydration(page);
    const rows = page.locator('tbody tr', { hasText: 'Vault batch' });
    await expect(rows).toHaveCount(2);
    for (const row of await rows.all()) await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Approve selected' }).click();
    await expect(page.getByTestId('bulk-result')).toContainText('0 of 2 done');
    await expect(page.getByTestId('bulk-result')).toContainText('fresh second factor');
    await page.getByLabel('Code from your authenticator app').fill(recovery[0]);
    await page.getByRole('button', { name: 'Approve selected' }).click();
    await expect(page.getByTestId('bulk-result')).toContainText('2 of 2 done');
  } finally {
    expect((await put(before)).status()).toBe(200);
  }
  await context.close();
  await admin.context.close();
});
