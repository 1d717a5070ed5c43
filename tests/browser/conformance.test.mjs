// conformance.test.mjs — every page kind as real clients check it: the W3C Nu
// HTML checker (npm's vnu-jar, run with java) over every page of the example
// site and of an English site, and axe-core (WCAG 2.1 A and AA rules) in
// headless Chromium on one page of each kind, at 1280 and 390 px, on both.
//
//   SITE_DIR=/tmp/site node --test tests/browser/conformance.test.mjs
//
// SITE_DIR   the example site, built (required; without it the tests are skipped)
// PLANPRESS  the binary that builds the English site (default build/planpress)
// CHROMIUM   the browser (default /usr/bin/chromium); JAVA (default java)
//
// The English site is built from fixtures/en/ by make-en-site.sh: an English
// plan with goals, tasks, measures, a table and indicators, and a Chinese plan.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const require = createRequire(import.meta.url);
const SITE_DIR = process.env.SITE_DIR ? path.resolve(process.env.SITE_DIR) : '';
const PLANPRESS = process.env.PLANPRESS || path.join(repoRoot, 'build', 'planpress');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const JAVA = process.env.JAVA || 'java';
const skip = SITE_DIR ? false : 'SITE_DIR is not set: build a site and point SITE_DIR at it';

const WIDTHS = [{ width: 1280, height: 900 }, { width: 390, height: 844 }];
const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// The kind of a page from its path in the site.
const KINDS = [
  ['index', /^index\.html$/], ['404', /^404\.html$/],
  ['search', /^search\/index\.html$/], ['changes', /^changes\/index\.html$/],
  ['bodies', /^bodies\/index\.html$/], ['body', /^bodies\/[^/]+\/index\.html$/],
  ['indicators', /^indicators\/index\.html$/], ['indicator', /^indicators\/[^/]+\/index\.html$/],
  ['page', /^pages\/.+\/index\.html$/],
  ['plan', /^plans\/[^/]+\/index\.html$/], ['matrix', /^plans\/[^/]+\/matrix\/index\.html$/],
  ['history', /^plans\/[^/]+\/history\/index\.html$/],
  ['revision', /^plans\/[^/]+\/history\/[^/]+\/index\.html$/],
  ['diff', /^plans\/[^/]+\/diff\/[^/]+\/index\.html$/],
  ['goal', /^plans\/[^/]+\/goals\/[^/]+\/index\.html$/],
  ['task', /^plans\/[^/]+\/tasks\/[^/]+\/index\.html$/],
  ['measure', /^plans\/[^/]+\/measures\/[^/]+\/index\.html$/],
];

function htmlFiles(dir) {
  const out = [];
  const walk = (d, rel) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const r = rel + e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r + '/');
      else if (e.name.endsWith('.html')) out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

// One page of each kind (the first in path order), plus pages that matter:
// a task that is a list item and one that is a heading, search with a query.
function pagesByKind(dir, extra) {
  const files = htmlFiles(dir);
  const picked = new Map();
  for (const f of files) {
    for (const [kind, re] of KINDS) {
      if (re.test(f) && !picked.has(kind)) picked.set(kind, f);
    }
  }
  for (const [kind] of KINDS) assert.ok(picked.has(kind), `no ${kind} page in ${dir}`);
  const urls = [...picked.entries()].map(([kind, f]) =>
    ({ kind, url: f === 'index.html' ? '' : f.replace(/index\.html$/, '') }));
  return urls.concat(extra);
}

function serve(root) {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = path.join(root, rel);
    if (!file.startsWith(root)) return res.writeHead(403).end();
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript',
      '.json': 'application/json', '.svg': 'image/svg+xml' };
    if (!fs.existsSync(file)) {
      res.writeHead(404, { 'Content-Type': types['.html'] });
      return res.end(fs.readFileSync(path.join(root, '404.html')));
    }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let tmp, enSite, browser;
const servers = [];

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'planpress-conformance-'));
  const repo = path.join(tmp, 'en');
  enSite = path.join(tmp, 'en-site');
  execFileSync(path.join(here, 'make-en-site.sh'), [repo]);
  execFileSync(PLANPRESS, ['build', '--repo', repo, '--out', enSite, '--quiet']);
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
});

after(async () => {
  if (browser) await browser.close();
  for (const s of servers) await new Promise((r) => s.close(r));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// ---- the Nu HTML checker --------------------------------------------------------

test('vnu: no error on any page of the example and the English site', { skip }, () => {
  const jar = require.resolve('vnu-jar/build/dist/vnu.jar');
  // vnu writes its JSON report to stderr; its status is 1 when it found errors
  const r = spawnSync(JAVA, ['-Xss4m', '-jar', jar, '--errors-only', '--format', 'json',
    '--skip-non-html', SITE_DIR, enSite], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.ok(r.status === 0 || r.status === 1, `vnu failed (${r.status}): ${r.error || ''} ${r.stderr}`);
  const text = r.stderr.trim() || '{"messages":[]}';
  const msgs = JSON.parse(text).messages.filter((m) => m.type === 'error');
  const pages = new Set(msgs.map((m) => m.url)).size;
  const list = msgs.slice(0, 30).map((m) =>
    `  ${m.url.replace(/^file:/, '')}:${m.lastLine}:${m.firstColumn ?? m.lastColumn}: ${m.message}`);
  assert.equal(msgs.length, 0, `${msgs.length} vnu errors on ${pages} pages:\n${list.join('\n')}`);
});

// ---- axe-core ----------------------------------------------------------------------

async function axeSite(dir, extra) {
  const server = await serve(dir);
  servers.push(server);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const pages = pagesByKind(dir, extra);
  const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const problems = [];
  for (const viewport of WIDTHS) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    for (const { kind, url } of pages) {
      await page.goto(base + url, { waitUntil: 'load' });
      if (kind === 'search-query') {
        await page.waitForSelector('#search-app[data-state="results"]', { timeout: 15000 });
      }
      await page.evaluate(axeSource);
      const res = await page.evaluate((tags) => window.axe.run(document, {
        runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), WCAG);
      for (const v of res.violations) {
        problems.push(`${viewport.width}px ${kind} /${url}: ${v.id} (${v.impact}) ${v.help}: ` +
          v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', '));
      }
    }
    await context.close();
  }
  return problems;
}

test('axe-core: no WCAG 2.1 A/AA violation on any page kind of the example site, 1280 and 390 px', { skip }, async () => {
  const problems = await axeSite(SITE_DIR, [
    { kind: 'task (list item)', url: 'plans/yangzhou-cast-2018/tasks/t3-3/' },
    { kind: 'task (heading)', url: 'plans/hubei-cast-13th/tasks/t6/' },
    { kind: 'search-query', url: 'search/?q=%E7%A7%91%E6%99%AE' },
  ]);
  assert.equal(problems.length, 0, `${problems.length} axe violations:\n${problems.join('\n')}`);
});

test('axe-core: no WCAG 2.1 A/AA violation on any page kind of the English site, 1280 and 390 px', { skip }, async () => {
  const problems = await axeSite(enSite, [
    { kind: 'task (list item)', url: 'plans/riverside-2025/tasks/t1-1/' },
    { kind: 'search-query', url: 'search/?q=bus' },
  ]);
  assert.equal(problems.length, 0, `${problems.length} axe violations:\n${problems.join('\n')}`);
});

// ---- titles ---------------------------------------------------------------------------

function headTitle(file) {
  const head = fs.readFileSync(file, 'utf8').split('</head>')[0];
  const m = head.match(/<title>([^<]*)<\/title>/);
  return m ? m[1] : '';
}

test('every page has a title of its own that says where it is: page - plan - site', { skip }, () => {
  for (const dir of [SITE_DIR, enSite]) {
    const site = headTitle(path.join(dir, 'index.html'));
    const seen = new Map();
    for (const f of htmlFiles(dir)) {
      const title = headTitle(path.join(dir, f));
      assert.ok(title.endsWith(site), `${f}: "${title}" does not end with the site's title`);
      assert.ok(f === 'index.html' || title !== site, `${f}: the title is the site's alone`);
      assert.ok(!seen.has(title), `${f} and ${seen.get(title)} share the title "${title}"`);
      seen.set(title, f);
      const plan = f.match(/^plans\/([^/]+)\/(?:matrix|history|diff|goals|tasks|measures)\//);
      if (plan) {
        const planTitle = headTitle(path.join(dir, 'plans', plan[1], 'index.html'));
        assert.ok(title.endsWith(planTitle), `${f}: "${title}" does not name its plan ("${planTitle}")`);
      }
    }
  }
});

test('the search page\'s title says what was searched for', { skip }, async () => {
  const server = await serve(enSite);
  servers.push(server);
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/search/?q=bus`);
  await page.waitForSelector('#search-app[data-state="results"]', { timeout: 15000 });
  assert.equal(await page.title(), 'Results for “bus” - Search - Riverside Development Plans');
  await page.close();
});

// ---- phones: the matrix and the indicators table ---------------------------------------

test('on a phone the matrix is a list body by body, the indicators table shows its status; status links filter', { skip }, async () => {
  const server = await serve(enSite);
  servers.push(server);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await phone.goto(base + 'plans/riverside-2025/matrix/');
  assert.equal(await phone.isVisible('.matrix-wrap'), false, 'the wide table is hidden on a phone');
  assert.equal(await phone.isVisible('.matrix-by-body'), true, 'the list by body is shown on a phone');
  const bodies = await phone.$$eval('.matrix-by-body h3', (hs) => hs.map((h) => h.textContent));
  assert.ok(bodies.includes('Riverside Transport Agency') && bodies.includes('No body named'), bodies.join(', '));
  await phone.goto(base + 'indicators/');
  const right = await phone.$eval('.indicators-table thead th:nth-child(2)', (th) =>
    ({ text: th.textContent, right: th.getBoundingClientRect().right }));
  assert.equal(right.text, 'Status');
  assert.ok(right.right <= 390, `the status column ends at ${right.right} px, off a 390 px screen`);
  await phone.close();

  const desk = await browser.newPage({ viewport: { width: 1280, height: 300 } }); // the matrix is higher
  await desk.goto(base + 'plans/riverside-2025/matrix/');
  assert.equal(await desk.isVisible('.matrix-by-body'), false);
  // the header row stays in view when the table scrolls
  const top = await desk.evaluate(() => {
    const wrap = document.querySelector('.matrix-wrap');
    wrap.scrollTop = wrap.scrollHeight;
    const th = document.querySelector('.matrix-table thead th:nth-child(2)');
    return th.getBoundingClientRect().top - wrap.getBoundingClientRect().top;
  });
  assert.ok(top >= 0 && top < 5, `the header row is ${top} px from the top of the box after scrolling`);
  await desk.goto(base + 'indicators/#status-no-data');
  const shown = await desk.$$eval('.indicators-table tbody tr', (trs) =>
    trs.filter((tr) => tr.offsetParent !== null).map((tr) => tr.dataset.status));
  assert.deepEqual(shown, ['no-data'], 'only the rows of the status linked to');
  assert.equal(await desk.isVisible('#status-no-data'), true, 'the note that says the list is filtered');
  await desk.goto(base + 'indicators/');
  assert.equal(await desk.$$eval('.indicators-table tbody tr', (trs) => trs.filter((tr) => tr.offsetParent !== null).length), 2);
  await desk.close();
});

// ---- English pages ------------------------------------------------------------------------

test('English pages: Latin fonts first, lang="zh-CN" on Chinese content with CJK fonts first, tables not clipped at 1280 px', { skip }, async () => {
  const server = await serve(enSite);
  servers.push(server);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const cjkFirst = (f) => /^"?(PingFang|Hiragino|Noto Sans CJK|Source Han|Songti|Noto Serif CJK)/.test(f);
  await page.goto(base + 'plans/riverside-2025/');
  const en = await page.$eval('.doc-body p', (p) => getComputedStyle(p).fontFamily);
  assert.ok(!cjkFirst(en), `English text in ${en}`);
  // ’ in a Latin font is narrow; a CJK font sets it full width ("agency’ s")
  const apostrophe = await page.evaluate(() => {
    const s = document.createElement('span');
    s.textContent = '’';
    document.querySelector('.doc-body p').append(s);
    const w = s.getBoundingClientRect().width / parseFloat(getComputedStyle(s).fontSize);
    s.remove();
    return w;
  });
  assert.ok(apostrophe < 0.5, `’ is ${apostrophe.toFixed(2)} em wide`);
  const table = await page.$eval('.doc-body .table-scroll', (d) => ({ sw: d.scrollWidth, cw: d.clientWidth }));
  assert.ok(table.sw <= table.cw, `the figures table is clipped: ${table.sw} px in ${table.cw} px`);
  await page.goto(base + 'plans/wuhan-science/');
  for (const sel of ['h1.doc-title', '.doc-layout']) {
    assert.equal(await page.$eval(sel, (e) => e.getAttribute('lang')), 'zh-CN', `${sel} of a Chinese plan`);
  }
  const zh = await page.$eval('.doc-body p', (p) => getComputedStyle(p).fontFamily);
  assert.ok(cjkFirst(zh), `Chinese text in ${zh}`);
  await page.goto(base);
  assert.equal(await page.$eval('.plan-item-title [href="plans/wuhan-science/"]', (a) => a.closest('[lang]').lang), 'zh-CN');
  await page.close();
});

// ---- print ----------------------------------------------------------------------------------

test('print: every page has the address, the commit and its number; the first page is not half empty', { skip }, async (t) => {
  if (spawnSync('pdftotext', ['-v']).error) return t.skip('pdftotext (poppler-utils) is not installed');
  for (const [dir, url] of [[enSite, 'plans/riverside-2025/'], [SITE_DIR, 'plans/hubei-cast-13th/']]) {
    const server = await serve(dir);
    servers.push(server);
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/${url}`);
    const pdf = path.join(tmp, 'print.pdf');
    await page.pdf({ path: pdf, format: 'A4' });
    await page.close();
    const rev = fs.readFileSync(path.join(dir, url, 'index.html'), 'utf8').match(/planpress-commit" content="([0-9a-f]{12})/)[1];
    const pages = spawnSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).stdout.split('\f')
      .filter((p) => p.trim());
    assert.ok(pages.length >= 2, `${url}: ${pages.length} pages`);
    pages.forEach((text, i) => {
      assert.match(text, new RegExp(`/${url}.* ${rev}`), `${url}: page ${i + 1} without its address and commit`);
      assert.match(text, new RegExp(`${i + 1} ?/ ?${pages.length}`), `${url}: page ${i + 1} without its number`);
    });
    // the first page is filled: its text (above the bottom margin, 2.2 cm)
    // reaches at least 85% of the way down (a quote kept whole left 78%)
    const box = spawnSync('pdftotext', ['-bbox', '-f', '1', '-l', '1', pdf, '-'], { encoding: 'utf8' }).stdout;
    const height = Number(box.match(/<page width="[\d.]+" height="([\d.]+)"/)[1]);
    const margin = 2.2 / 2.54 * 72;
    const bottom = Math.max(...[...box.matchAll(/yMax="([\d.]+)"/g)].map((m) => Number(m[1]))
      .filter((y) => y < height - margin));
    assert.ok(bottom / (height - margin) >= 0.85,
      `${url}: the first page's text ends ${Math.round(100 * bottom / (height - margin))}% of the way down`);
  }
});

// ---- small things ---------------------------------------------------------------------------

test('one search box on the search page; 404 not clipped on a phone; no keyboard hint on a phone; no stray space in Chinese; balanced headings', { skip }, async () => {
  const server = await serve(SITE_DIR);
  servers.push(server);
  const base = `http://127.0.0.1:${server.address().port}/`;
  const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
  await phone.goto(base + 'search/?q=%E7%A7%91%E6%99%AE');
  assert.equal(await phone.$$eval('input[type=search]', (es) => es.length), 1, 'search boxes on the search page');
  assert.equal(await phone.isVisible('#search-keys'), false, 'the keyboard hint on a phone');
  await phone.goto(base + 'no/such/page/');
  const box = await phone.$eval('#nf-search-q', (i) => ({
    right: i.getBoundingClientRect().right, page: document.documentElement.scrollWidth }));
  assert.ok(box.right <= 390 && box.page <= 390, `the 404 search field ends at ${box.right} px (page ${box.page} px)`);
  await phone.goto(base);
  const text = await phone.$eval('.home-description', (p) => p.textContent);
  assert.ok(!/[\u3000-\u9fff\uff00-\uffef] [\u3000-\u9fff\uff00-\uffef]/.test(text), `a space between Chinese characters: ${text}`);
  assert.equal(await phone.$eval('h1', (h) => getComputedStyle(h).textWrap || getComputedStyle(h).textWrapStyle), 'balance');
  await phone.close();
});
