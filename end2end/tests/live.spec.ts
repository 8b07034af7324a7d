import { test, expect, Page } from '@playwright/test';
import { as, openTicket, waitForHydration } from './helpers';

async function badge(page: Page, testId: string): Promise<number> {
  const b = page.getByTestId(testId);
  return (await b.count()) === 0 ? 0 : Number(await b.textContent());
}

test('bob sees his Approvals badge and bell change without a reload when alice applies', async ({ browser }) => {
  const bob = await as(browser, 'bob');
  await bob.page.goto('/tickets');
  await waitForHydration(bob.page);
  const before = await badge(bob.page, 'inbox-badge');
  const bellBefore = await badge(bob.page, 'notif-badge');
  // Mark the page, so a reload would be noticed.
  await bob.page.evaluate(() => ((window as any).__noReload = true));

  const alice = await as(browser, 'alice');
  await openTicket(alice.page, { title: 'Live badge check', assets: ['web-01'] });

  await expect(bob.page.getByTestId('inbox-badge')).toHaveText(String(before + 1), { timeout: 5_000 });
  await expect(bob.page.getByTestId('notif-badge')).toHaveText(String(bellBefore + 1));
  expect(await bob.page.evaluate(() => (window as any).__noReload)).toBe(true);

  // The notification is listed; reading all clears the bell.
  await bob.page.getByRole('link', { name: 'Notifications' }).click();
  await waitForHydration(bob.page);
  await expect(bob.page.getByTestId('notification').first()).toContainText('Live badge check');
  await bob.page.getByTestId('read-all').click();
  await expect(bob.page.getByTestId('notif-badge')).toHaveCount(0);

  // alice's open ticket page follows what happens to it, live: bob's comment, her own
  // withdrawal made elsewhere (through the API). Nothing here decides for bob, so the other
  // specs' "processed by me" lists stay as they expect.
  const t = await openTicket(alice.page, { title: 'Live ticket page', assets: ['web-01'] });
  await alice.page.goto(`/tickets/${t.id}`);
  await waitForHydration(alice.page);
  await expect(alice.page.locator('.badge.pending')).toBeVisible();
  const c = await bob.page.request.post(`/api/v1/tickets/${t.id}/comments`, { data: { body: 'Which logs do you need?' } });
  expect(c.status()).toBe(201);
  await expect(alice.page.getByTestId('thread')).toContainText('Which logs do you need?', { timeout: 5_000 });
  await expect(alice.page.getByTestId('notif-badge')).toHaveText(/[1-9]/);
  const w = await alice.page.request.post(`/api/v1/tickets/${t.id}/close`, { data: {} });
  expect(w.status()).toBe(200);
  await expect(alice.page.locator('.badge.closed')).toBeVisible({ timeout: 5_000 });

  await alice.context.close();
  await bob.context.close();
});
