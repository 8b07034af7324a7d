import { test, expect, Page } from '@playwright/test';
import { signIn, waitForHydration } from './helpers';
import { oidcIssuer } from '../playwright.config';

/** Signs in through the OpenID provider as `user`: at its own login form, unless the browser
 *  is still signed in there (then the provider sends it straight back). */
async function signInWithSso(page: Page, user: string, password: string, atProvider = true) {
  await page.goto('/login?next=/grants');
  await waitForHydration(page);
  await page.getByTestId('sso-button').click();
  if (atProvider) {
    await expect(page.getByRole('heading', { name: 'Test provider' })).toBeVisible();
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(page).toHaveURL(/\/grants$/);
  await expect(page.getByTestId('user-name')).toHaveText('Alice Ops');
}

async function myRole(page: Page, org: string): Promise<string | undefined> {
  const me = await (await page.request.get('/api/v1/me')).json();
  return me.orgs.find((m: { org_name: string }) => m.org_name === org)?.role;
}

test('single sign-on: a super admin maps groups, a person signs in at the provider with the mapped memberships, and a group change follows', async ({ browser, page }) => {
  // The super admin maps the provider's groups to the Default org on the Sign-in tab.
  await signIn(page, 'admin', '/admin?tab=sign-in');
  await expect(page.getByTestId('redirect-uri')).toHaveText(/\/auth\/oidc\/callback$/);
  await expect(page.getByLabel('Issuer URL')).toHaveValue(oidcIssuer);
  const mapping = page.getByTestId('new-mapping');
  for (const [group, role] of [['admins', 'Admin'], ['ops', 'Member']]) {
    await mapping.getByLabel('Group').fill(group);
    await mapping.getByLabel('Org', { exact: true }).selectOption({ label: 'Default' });
    await mapping.getByLabel('Role in the org').selectOption({ label: role });
    await mapping.getByRole('button', { name: 'Add mapping' }).click();
    await expect(page.getByTestId('mappings')).toContainText(`${role} of Default`);
  }

  // alice signs in at the provider: back in Tollgate, signed in, admin of Default.
  const alice = await (await browser.newContext()).newPage();
  await signInWithSso(alice, 'alice', 'alice-pw');
  expect(await myRole(alice, 'Default')).toBe('org_admin');

  // Out of "admins" at the provider: her next sign-in (still signed in at the provider, so
  // straight back) makes her a plain member.
  await alice.request.post(`${oidcIssuer}/_test/groups?user=alice&groups=ops`);
  await alice.getByRole('button', { name: 'Sign out' }).click();
  await expect(alice).toHaveURL(/\/login/);
  await signInWithSso(alice, 'alice', 'alice-pw', false);
  expect(await myRole(alice, 'Default')).toBe('org_user');
});

test('a refused single sign-on answer says why and signs nobody in', async ({ page }) => {
  await page.goto('/auth/oidc/callback?code=x&state=forged');
  await expect(page.getByTestId('sso-error')).toContainText('Start again from the sign-in page');
  // The page has the site's look (its policy lets the stylesheet load).
  await expect(page.getByTestId('sso-refused')).toHaveCSS('border-radius', '14px');
  await page.getByRole('link', { name: 'Back to sign-in' }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByTestId('sso-button')).toHaveText('Sign in with Example ID');
});
