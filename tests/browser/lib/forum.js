'use strict';
// Steps in the community that several flows share, done through the pages.

const assert = require('node:assert/strict');

async function openCategory(run, page, name) {
  await run.goto(page, '/');
  await run.clickAndWait(page, page.getByRole('region', { name: 'Categories' }).getByRole('link', { name, exact: true }));
  await run.checkPage(page);
}

// Asks a question from the Questions & Answers list; returns the topic's address.
async function askQuestion(run, page, { title, body, tags }) {
  await openCategory(run, page, 'Questions & Answers');
  await run.clickAndWait(page, page.getByRole('main').getByRole('link', { name: 'Ask a question' }).first());
  await run.checkPage(page);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Details').fill(body);
  if (tags) await page.getByLabel('Tags').fill(tags);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Post', exact: true }));
  await run.checkPage(page);
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  return new URL(page.url()).pathname;
}

async function suggestIdea(run, page, { title, body }) {
  await openCategory(run, page, 'Ideas & Feature Requests');
  await run.clickAndWait(page, page.getByRole('main').getByRole('link', { name: 'Suggest an idea' }).first());
  await run.checkPage(page);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Details').fill(body);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Post', exact: true }));
  await run.checkPage(page);
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
  return new URL(page.url()).pathname;
}

// Opens a topic from its category's list, as a reader finds it.
async function openTopic(run, page, category, title) {
  await openCategory(run, page, category);
  await run.clickAndWait(page, page.getByRole('link', { name: title, exact: true }).first());
  await run.checkPage(page);
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
}

async function reply(run, page, text) {
  await page.getByRole('textbox', { name: 'Reply' }).fill(text);
  await run.clickAndWait(page, page.getByRole('button', { name: 'Post', exact: true }));
  await run.checkPage(page);
  await page.locator('article.post', { hasText: text }).first().waitFor();
}

function post(page, text) {
  return page.locator('article.post', { hasText: text });
}

async function assertMain(page, pattern, why) {
  const text = await page.getByRole('main').innerText();
  assert.ok(pattern.test(text), `${why}; the page at ${new URL(page.url()).pathname} says:\n${text.slice(0, 1500)}`);
}

module.exports = { openCategory, askQuestion, suggestIdea, openTopic, reply, post, assertMain };
