// Loads every page of the rendered book in headless Chromium (Debian's, driven by playwright-core)
// and checks what a reader would see: no script errors or failed requests, math rendered, every
// figure loaded and visible, every listing within its column, search answering, and the live
// figure on chapter 5 redrawing when a slider moves. Takes full-page screenshots at desktop and
// phone width, and two pages in the dark "navy" theme, to look at by eye.
//
//   node book/tests/browser.mjs target/book [target/browser]
//
// Prints one line per page and exits 1 listing every problem. Nothing is fetched from the network:
// the book is served from 127.0.0.1 and any request elsewhere is blocked and counted as a problem.
import { createServer } from 'node:http';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const root = path.resolve(process.argv[2] ?? 'target/book');
const shots = path.resolve(process.argv[3] ?? 'target/browser');
const start = Date.now();
if (!existsSync(path.join(root, 'index.html'))) {
  console.log(`FAIL  no rendered book in ${root} (run cargo xtask render first)`);
  process.exit(1);
}

// Every page of the book: the .html files at the top of the folder, less three that are not pages
// of their own. print.html is every chapter again on one page (and asks to print on load),
// toc.html is the sidebar for browsers without JavaScript, 404.html is shown only for a bad link.
const skipped = new Set(['404.html', 'print.html', 'toc.html']);
const pages = readdirSync(root).filter((f) => f.endsWith('.html') && !skipped.has(f)).sort();
const required = ['index', 'introduction', 'results', 'performance', ...[1, 2, 3, 4, 5, 6, 7].map((n) => `chapter-${n}`)];
const problems = new Map(); // page -> list of problems
const fail = (page, what) => (problems.get(page) ?? problems.set(page, []).get(page)).push(what);
for (const name of required) if (!pages.includes(`${name}.html`)) fail(`${name}.html`, 'page missing');
// mdBook writes its search index as searchindex[-hash].js (or .json without JavaScript).
if (!readdirSync(root).some((f) => /^searchindex.*\.(js|json)$/.test(f))) fail('(book)', 'no searchindex file');

// A static file server on a free port of 127.0.0.1.
const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.woff': 'font/woff', '.ttf': 'font/ttf' };
const server = createServer((req, res) => {
  const file = path.join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const desktop = { viewport: { width: 1280, height: 800 } };
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
mkdirSync(shots, { recursive: true });

// Opens `file` in a fresh context, records what goes wrong while it loads, and waits for its images.
async function open(file, options, theme) {
  const context = await browser.newContext(options);
  if (theme) await context.addInitScript((t) => localStorage.setItem('mdbook-theme', t), theme);
  await context.route((url) => !url.href.startsWith(origin), (route) => {
    fail(file, `request outside the book: ${route.request().url()}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && fail(file, `console error: ${m.text()} (${m.location().url.slice(origin.length)})`));
  page.on('pageerror', (e) => fail(file, `uncaught error: ${e.message}`));
  page.on('requestfailed', (r) => r.url().startsWith(origin) && fail(file, `request failed: ${r.url().slice(origin.length)}`));
  page.on('response', (r) => r.status() >= 400 && fail(file, `HTTP ${r.status()}: ${r.url().slice(origin.length)}`));
  await page.goto(origin + file, { waitUntil: 'load' });
  // Lazy images would load only when scrolled to: load them all now, then wait for every one.
  await page.evaluate(() => document.querySelectorAll('img[loading=lazy]').forEach((i) => (i.loading = 'eager')));
  await page.waitForFunction(() => [...document.images].every((i) => i.complete), null, { timeout: 10_000 })
    .catch(() => fail(file, 'images still loading after 10 s'));
  return { page, context };
}

// What a reader would see broken on the page: images and math.
async function checkContent(file, page) {
  const found = await page.evaluate(() => {
    const bad = [];
    for (const img of document.images) {
      const box = img.getBoundingClientRect();
      // mdBook repeats each figure in a hidden `.img-wrapper`, shown enlarged when it is clicked.
      const zoomCopy = img.parentElement.matches('.img-wrapper');
      if (!(img.complete && img.naturalWidth > 0)) bad.push(`image not loaded: ${img.getAttribute('src')}`);
      else if (!zoomCopy && (box.width === 0 || box.height === 0)) bad.push(`image not shown (size 0): ${img.getAttribute('src')}`);
    }
    for (const e of document.querySelectorAll('.katex-error')) bad.push(`KaTeX error: ${e.textContent.slice(0, 60)}`);
    // TeX left as text: a formula KaTeX could not parse stays in the page between its delimiters.
    // Code and rendered math are skipped; what is left must hold no `$$`, nor a short `$…$` with
    // TeX in it (a `\command`, `^`, `_` or a brace).
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (n.parentElement.closest('pre, code, .katex, script, style')) continue;
      const raw = n.textContent.match(/\$\$|\$(?=\S)[^$]{0,200}?(\\[A-Za-z]+|[\^_{}])[^$]{0,200}?\$/);
      if (raw) bad.push(`unrendered math: ${raw[0].slice(0, 60)}`);
    }
    return bad;
  });
  found.forEach((p) => fail(file, p));
}

// At desktop width every listing fits its column, folded ones opened: no code scrolls sideways.
async function checkListings(file, page) {
  const wide = await page.evaluate(() => {
    document.querySelectorAll('main details').forEach((d) => (d.open = true));
    return [...document.querySelectorAll('main pre > code')]
      .filter((c) => c.scrollWidth > c.clientWidth + 1)
      .map((c) => `${c.scrollWidth - c.clientWidth}px too wide: ${c.textContent.trim().slice(0, 50)}`);
  });
  wide.forEach((w) => fail(file, `listing wider than its column, ${w}`));
}

// Search: press `s`, type a word of the book, and expect results (this loads the search index).
async function checkSearch(file, page) {
  await page.keyboard.press('s');
  await page.locator('#mdbook-searchbar').pressSequentially('momentum');
  await page.waitForFunction(() => document.querySelectorAll('#mdbook-searchresults li').length > 0, null, { timeout: 10_000 })
    .catch(() => fail(file, 'search for "momentum" gave no result'));
}

// The live figure of chapter 5: every slider moved to another value must redraw it.
async function checkLiveFigure(file, page) {
  const figure = page.locator('#heavy-ball-live');
  if ((await figure.count()) === 0) return fail(file, 'live figure missing (no #heavy-ball-live)');
  const sliders = figure.locator('input[type=range]');
  if ((await figure.locator('input[type=range]#heavy-ball-beta').count()) === 0) fail(file, 'live figure: no slider #heavy-ball-beta');
  for (let i = 0; i < (await sliders.count()); i++) {
    const id = (await sliders.nth(i).getAttribute('id')) ?? `slider ${i + 1}`;
    const before = Number(await figure.getAttribute('data-redraws'));
    if (!Number.isFinite(before)) return fail(file, 'live figure: no numeric data-redraws');
    await sliders.nth(i).evaluate((s) => {
      s.value = s.value === s.min ? s.max : s.min; // another value, whatever the current one is
      s.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.waitForFunction((n) => Number(document.getElementById('heavy-ball-live').dataset.redraws) > n, before, { timeout: 5_000 })
      .catch(() => fail(file, `live figure: moving ${id} did not redraw (data-redraws stayed ${before})`));
  }
}

// Every check and screenshot of one page.
async function visit(file) {
  const name = file.replace(/\.html$/, '');
  // Desktop: every check, then the screenshot.
  let { page, context } = await open(file, desktop);
  await checkContent(file, page);
  await page.screenshot({ path: path.join(shots, `${name}-desktop.png`), fullPage: true });
  await checkListings(file, page);
  if (file === 'index.html') await checkSearch(file, page);
  if (file === 'chapter-5.html') await checkLiveFigure(file, page);
  await context.close();
  // Phone: what loads must load there too (images, no errors); the screenshot is for the eye.
  ({ page, context } = await open(file, phone));
  await checkContent(file, page);
  await page.screenshot({ path: path.join(shots, `${name}-phone.png`), fullPage: true });
  await context.close();
  // The dark theme, on one chapter and the results page.
  if (file === 'chapter-1.html' || file === 'results.html') {
    ({ page, context } = await open(file, desktop, 'navy'));
    if (!(await page.evaluate(() => document.documentElement.classList.contains('navy')))) fail(file, 'navy theme not applied');
    await page.screenshot({ path: path.join(shots, `${name}-navy.png`), fullPage: true });
    await context.close();
  }
}

for (const file of pages) {
  // A page that hangs or crashes the tab (Playwright's timeouts are 30 s) is a problem, not the end.
  await visit(file).catch((e) => fail(file, `could not be checked: ${e.message.split('\n')[0]}`));
  // A problem seen more than once (at both widths, say) is listed once.
  const mine = new Set(problems.get(file));
  console.log(mine.size === 0 ? `ok    ${file}` : `FAIL  ${file}: ${mine.size} problem(s)`);
  for (const p of mine) console.log(`        ${p}`);
}

await browser.close();
server.close();
// Problems not tied to a page that was visited: a missing page, no search index.
for (const [file, list] of problems) if (!pages.includes(file)) console.log(`FAIL  ${file}: ${list.join('; ')}`);
const count = [...problems.values()].reduce((n, list) => n + new Set(list).size, 0);
const seconds = ((Date.now() - start) / 1000).toFixed(1);
console.log(`${pages.length} pages, ${count === 0 ? 'no problem' : `${count} problem(s)`}; screenshots in ${shots} (${seconds} s)`);
process.exit(count === 0 ? 0 : 1);
