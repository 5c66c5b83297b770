'use strict';
// Signing up, confirming the address, signing in and resetting a password, by a
// person at a customer company; and what the home page offers once signed in.

const assert = require('node:assert/strict');
const { setup } = require('./lib/browser');
const { Mailbox } = require('./lib/mail');
const { unique } = require('./lib/util');
const { assertMain } = require('./lib/forum');

const { flow, phonePass } = setup();

async function signOut(run, page) {
  await run.clickAndWait(page, page.getByRole('button', { name: 'Sign out' }));
  await run.checkPage(page);
}

async function signupFlow(run, { js }) {
  const page = await run.open(null, { js });
  const tag = unique();
  const name = `Casey ${tag}`;
  const password = `correct horse ${tag} staple`;

  // A visitor who is not signed in is sent to sign in, and finds the way to sign up.
  await run.goto(page, '/');
  assert.match(new URL(page.url()).pathname, /^\/login/, 'the home page asks an anonymous visitor to sign in');
  await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name: 'Sign up' }));
  await run.checkPage(page);
  assert.equal(new URL(page.url()).pathname, '/signup');

  // A free-webmail address is refused with the reason, and what was typed stays.
  const webmail = `casey.${tag}@gmail.com`;
  await page.getByLabel('Work email').fill(webmail);
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Password').fill(password);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Sign up' }));
  await run.checkPage(page);
  await assertMain(page, /company email address/i, 'the refusal says to use a company address');
  await assertMain(page, /gmail\.com/, 'the refusal names the refused domain');
  assert.equal(await page.getByLabel('Work email').inputValue(), webmail, 'the refused address is kept in the form');
  assert.equal(await page.getByLabel('Your name').inputValue(), name, 'the name is kept in the form');

  // A company address signs up; the confirmation link comes by mail.
  const email = `casey.${tag}@acme.test`;
  const before = run.mail.mark();
  await page.getByLabel('Work email').fill(email);
  if (!(await page.getByLabel('Password').inputValue())) await page.getByLabel('Password').fill(password);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Sign up' }));
  await run.checkPage(page);
  await assertMain(page, /we sent a link to your address/i, 'signing up says a confirmation link was mailed');
  const account = { email, password, name };
  run.suite.remember(`new-${js ? 'js' : 'nojs'}`, account);
  run.actAs(page, `new-${js ? 'js' : 'nojs'}`);

  const confirm = await run.mail.waitFor({ to: email, subject: /confirm your address/i, after: before });
  await page.goto(Mailbox.link(confirm, '/verify'));
  await run.checkPage(page);
  await assertMain(page, /your address is confirmed/i, 'the mailed link confirms the address');

  // Signing out and in again with the chosen password.
  await signOut(run, page);
  run.actAs(page, 'anonymous');
  await run.signIn(page, account);
  run.actAs(page, `new-${js ? 'js' : 'nojs'}`);
  await page.getByRole('banner').getByRole('link', { name }).waitFor();
  await signOut(run, page);
  run.actAs(page, 'anonymous');

  // Forgotten password: the mailed link sets a new one, which then signs in.
  await run.goto(page, '/login');
  await run.clickAndWait(page, page.getByRole('link', { name: 'Forgot your password?' }));
  await run.checkPage(page);
  const beforeReset = run.mail.mark();
  await page.getByLabel('Email').fill(email);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Send the link' }));
  await run.checkPage(page);
  await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
  const reset = await run.mail.waitFor({ to: email, subject: /reset your parley password/i, after: beforeReset });
  await page.goto(Mailbox.link(reset, '/password/reset'));
  await run.checkPage(page);
  const newPassword = `battery ${tag} new horse`;
  await page.getByLabel('New password').fill(newPassword);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Save the password' }));
  await run.checkPage(page);
  await assertMain(page, /your password is changed/i, 'the reset says the password is changed');
  account.password = newPassword;

  if (await page.getByRole('button', { name: 'Sign out' }).count()) await signOut(run, page);
  run.actAs(page, 'anonymous');

  // The old password no longer works; the new one does.
  await run.goto(page, '/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Sign in' }));
  await run.checkPage(page);
  assert.equal(new URL(page.url()).pathname, '/login', 'the old password is refused after a reset');
  await run.signIn(page, account);
  run.actAs(page, `new-${js ? 'js' : 'nojs'}`);
  await page.getByRole('banner').getByRole('link', { name }).waitFor();
}

flow('sign up (webmail refused, company address), confirm, sign in, reset the password', (run) =>
  signupFlow(run, { js: true }));

flow('sign up, confirm, sign in and reset the password with JavaScript off', (run) =>
  signupFlow(run, { js: false }));

flow('the home page leads to asking a question and to filing a ticket', async (run) => {
  const page = await run.open('alice');
  await run.goto(page, '/');

  const ask = page.getByRole('link', { name: 'Ask a question' });
  assert.ok(await ask.count(), 'the home page has an "Ask a question" link');
  await run.clickAndWait(page, ask.first());
  await run.checkPage(page);
  await page.getByRole('heading', { name: 'Ask a question' }).waitFor();

  await run.goto(page, '/');
  const ticket = page.getByRole('link', { name: 'New ticket' });
  assert.ok(await ticket.count(), 'the home page has a "New ticket" link for an authorized contact');
  await run.clickAndWait(page, ticket.first());
  await run.checkPage(page);
  await page.getByRole('heading', { name: 'New ticket' }).waitFor();
});

flow('the roadmap is found from the home page through the Ideas category', async (run) => {
  const page = await run.open('bob');
  await run.goto(page, '/');
  await run.clickAndWait(page, page.getByRole('region', { name: 'Categories' }).getByRole('link', { name: 'Ideas & Feature Requests' }));
  await run.checkPage(page);
  await run.clickAndWait(page, page.getByRole('link', { name: 'Roadmap' }));
  await run.checkPage(page);
  await page.getByRole('heading', { name: 'Roadmap' }).waitFor();
  await page.getByRole('link', { name: /Dark mode for the dashboard/ }).waitFor();
});

flow('a signed-in member who opens a missing or forbidden page still sees the signed-in header', async (run) => {
  const page = await run.open('bob');
  const missing = await page.goto('/t/987654');
  await run.checkPage(page);
  assert.equal(missing.status(), 404);
  const header = page.getByRole('banner');
  assert.ok(await header.getByRole('link', { name: 'Bob Brown' }).count(), 'the 404 page shows the member signed in (their name in the header)');
  assert.ok(await header.getByRole('button', { name: 'Sign out' }).count(), 'the 404 page offers "Sign out"');

  // An admin page is forbidden to a member.
  const forbidden = await page.goto('/admin/users');
  await run.checkPage(page);
  assert.equal(forbidden.status(), 403);
  assert.ok(await header.getByRole('link', { name: 'Bob Brown' }).count(), 'the 403 page shows the member signed in (their name in the header)');
  assert.ok(await header.getByRole('button', { name: 'Sign out' }).count(), 'the 403 page offers "Sign out"');
});

flow('the admin pages as an admin', async (run) => {
  const page = await run.open('admin');
  await run.goto(page, '/');
  await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name: 'Admin', exact: true }));
  await run.checkPage(page);
  const tabs = page.getByRole('navigation', { name: 'Administration' });
  for (const name of ['Organizations', 'Refused domains', 'Teams', 'Received mail', 'Users']) {
    await run.clickAndWait(page, tabs.getByRole('link', { name, exact: true }));
    await run.checkPage(page);
  }
  await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name: 'Ada Admin' }));
  await run.checkPage(page);
});

flow("a member's own pages: account, notifications and their settings", async (run) => {
  for (const who of ['alice', 'bob']) {
    const page = await run.open(who);
    const name = who === 'alice' ? 'Alice Anders' : 'Bob Brown';
    await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name, exact: true }));
    await run.checkPage(page);
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name: /^Notifications/ }));
    await run.checkPage(page);
    await run.clickAndWait(page, page.getByRole('link', { name: 'Mail and what you watch' }));
    await run.checkPage(page);
    await run.clickAndWait(page, page.getByRole('banner').getByRole('link', { name: 'Status', exact: true }));
    await run.checkPage(page);
  }
});

// The home page says what is happening: the latest topics and the unanswered questions,
// each with its author's initials and how long ago it moved; times read in the time
// zone the member picks on their account page (with or without JavaScript).
async function homeAndTimeZone(run, { js }) {
  const page = await run.open('bob', { js });
  await run.goto(page, '/');
  await run.checkPage(page);
  const latest = page.getByRole('region', { name: 'Latest' });
  await latest.waitFor();
  assert.ok(await latest.locator('.topic-row').count(), 'the home page lists the latest topics');
  assert.ok(await latest.locator('.avatar').count(), 'each topic shows its author\'s initials');
  const when = (await latest.locator('time[data-when]').first().innerText()).trim();
  assert.match(when, /ago|just now|yesterday|^\d{1,2} \w{3}/, `times read as how long ago: "${when}"`);
  await page.getByRole('region', { name: 'Unanswered questions' }).waitFor();

  await run.goto(page, '/account');
  await page.getByLabel('Show times in').selectOption('Asia/Tokyo');
  await run.clickAndWait(page, page.getByRole('button', { name: 'Save time zone' }));
  await run.checkPage(page);
  await page.getByText('Saved.').waitFor();
  assert.equal(await page.getByLabel('Show times in').inputValue(), 'Asia/Tokyo', 'the chosen zone is kept');
  await run.goto(page, '/');
  assert.equal(await page.locator('body').getAttribute('data-tz'), 'Asia/Tokyo', 'pages carry the zone');
  if (js) {
    const title = await page.locator('time[data-when]').first().getAttribute('title');
    assert.match(title, /GMT\+9/, `the absolute time on hover is in Tokyo time: "${title}"`);
  }
  // Back to the browser's zone, as the other flows expect.
  await run.goto(page, '/account');
  await page.getByLabel('Show times in').selectOption('');
  await run.clickAndWait(page, page.getByRole('button', { name: 'Save time zone' }));
  await run.checkPage(page);
  assert.equal(await page.getByLabel('Show times in').inputValue(), '', 'the browser\'s zone can be chosen again');

  // A picture of their own, chosen with the file picker: shown on the account page and
  // beside their topics; then back to initials, as the other flows expect.
  await run.goto(page, '/account');
  await run.clickAndWait(page, page.getByRole('button', { name: 'Upload picture' }));
  await page.getByText('Choose a picture to upload.').waitFor();
  await run.checkPage(page);
  await page.getByLabel('Your picture').setInputFiles({ name: 'bob.png', mimeType: 'image/png', buffer: Buffer.from(PICTURE, 'base64') });
  await run.clickAndWait(page, page.getByRole('button', { name: 'Upload picture' }));
  await page.getByText('Saved.').waitFor();
  await run.checkPage(page);
  const mine = page.getByRole('img', { name: 'Your picture' });
  await mine.waitFor();
  assert.ok(await mine.evaluate((img) => img.complete && img.naturalWidth === 192), 'the picture loads as a 192-pixel square');
  await run.goto(page, '/');
  assert.ok(await page.getByRole('banner').locator('img.avatar[src^="/avatars/"]').count(), 'the header shows it beside his name');
  await run.goto(page, '/account');
  await run.clickAndWait(page, page.getByRole('button', { name: 'Use my initials instead' }));
  await page.getByText('Saved.').waitFor();
  assert.equal(await page.getByRole('img', { name: 'Your picture' }).count(), 0, 'initials again');
}

// A 64 × 48 PNG in two colours.
const PICTURE = 'iVBORw0KGgoAAAANSUhEUgAAAEAAAAAwCAIAAAAuKetIAAAAS0lEQVR42u3PMQ0AMAgAMJTsRtN0TsTkIAELPHxNaqBx7l9VL1eFgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgMBUA3HDSQ9ehaLLAAAAAElFTkSuQmCC';

flow('the home page lists the latest and unanswered topics; a member picks a time zone', (run) =>
  homeAndTimeZone(run, { js: true }));
flow('the home page and the time zone with JavaScript off', (run) => homeAndTimeZone(run, { js: false }));

// On a phone the header is one row: the name, a search button and a Menu button, each
// opening a panel under it; without JavaScript it shows everything, wrapped.
flow('the header on a phone folds search and menu behind buttons', async (run) => {
  const phone = { width: 390, height: 844 };
  const page = await run.open('bob', { viewport: phone });
  await run.goto(page, '/');
  const header = await page.getByRole('banner').boundingBox();
  assert.ok(header.height < 80, `the header is one row on a phone: ${header.height}px`);
  const notifications = page.getByRole('banner').getByRole('link', { name: /^Notifications/ });
  assert.equal(await notifications.isVisible(), false, 'the menu is folded');
  await page.locator('.menu-part > summary').click();
  await notifications.waitFor();
  const target = await notifications.boundingBox();
  assert.ok(target.height >= 44, `menu links are at least 44px tall: ${target.height}`);
  await page.locator('.search-part > summary').click();
  const field = page.getByRole('searchbox', { name: 'Search the community' });
  await field.waitFor();
  await notifications.waitFor({ state: 'hidden', timeout: 2000 }); // one panel at a time
  await field.fill('export timeout');
  await run.navigates(page, () => field.press('Enter'));
  await run.checkPage(page);
  assert.equal(new URL(page.url()).pathname, '/search', 'the search goes through');

  const plain = await run.open('bob', { viewport: phone, js: false });
  await run.goto(plain, '/');
  await plain.getByRole('searchbox', { name: 'Search the community' }).waitFor();
  await plain.getByRole('banner').getByRole('link', { name: /^Notifications/ }).waitFor();
});

phonePass();
