import { test, expect } from '@playwright/test';
import { PASSWORD, as, openTicket, waitForHydration } from './helpers';

test('on a phone (390 px) no page is wider than the screen and every section is reachable', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.avatar')).toBeVisible();

  for (const path of ['/tickets', '/tickets/new', '/inbox', '/grants', '/flows', '/flows/global/apply_asset', '/acls', '/admin', '/admin?tab=people', '/admin?tab=webhooks', '/notifications']) {
    await page.goto(path);
    await waitForHydration(page);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, path).toBeLessThanOrEqual(390);
    // The bell and Sign out are on screen; every section is one sideways scroll away.
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeInViewport();
    await expect(page.getByRole('link', { name: 'Notifications' })).toBeInViewport();
  }
  const admin = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' });
  await admin.scrollIntoViewIfNeeded();
  await expect(admin).toBeInViewport();
  await admin.click();
  await expect(page).toHaveURL(/\/admin$/);
  await context.close();
});

test('on a phone an approver finds the decision before the history, and the ticket fits the screen', async ({ browser }) => {
  const alice = await as(browser, 'alice');
  const t = await openTicket(alice.page, { title: 'Decided on a phone', assets: ['web-01'] });
  await alice.context.close();

  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username').fill('bob');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('.avatar')).toBeVisible();
  await page.goto(`/tickets/${t.id}`);
  await waitForHydration(page);
  const decision = await page.getByTestId('decision').boundingBox();
  const asked = await page.getByTestId('request').boundingBox();
  expect(decision!.y).toBeLessThan(asked!.y);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.getByRole('button', { name: 'Approve', exact: true }).click();
  // Decided: his part is done (the next level is someone else's), so his card goes.
  await expect(page.getByTestId('decision')).toHaveCount(0);
  await context.close();
});
