// compare.test.mjs — comparing any two revisions of a plan on its history page
// (themes/default/static/assets/compare.js), in headless Chromium.
//
//   node --test tests/browser/compare.test.mjs
//
// Builds its own throwaway Git repository — a plan committed in three
// revisions — with PLANPRESS (default: build/planpress of this repository),
// serves the site under a path prefix on 127.0.0.1, and compares the first
// revision with the last.
//
// PLANPRESS       the generator (skipped when missing)
// CHROMIUM        the browser (default /usr/bin/chromium)
// SCREENSHOT_DIR  where screenshots go (default: build/screenshots/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const PLANPRESS = path.resolve(process.env.PLANPRESS || path.join(repoRoot, 'build', 'planpress'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = path.resolve(process.env.SCREENSHOT_DIR || path.join(repoRoot, 'build', 'screenshots'));
const PREFIX = '/mirror/planpress-site/'; // the site works under any path prefix

const skip = !fs.existsSync(PLANPRESS) ? `no generator at ${PLANPRESS} (make build/planpress)`
  : !fs.existsSync(CHROMIUM) ? `no browser at ${CHROMIUM}` : false;

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };

// ---- a plan in three revisions ---------------------------------------------------

const HEAD = '---\nid: p\ntitle: 测试规划\nstatus: adopted\n---\n\n';
const REV1 = HEAD + [
  '## 一、发展目标',
  '到2020年公民具备科学素质的比例达到10%。',
  '开展群众性科普活动，普及科学知识。',
  '规划文本里的标记 &lt;script&gt;x&lt;/script&gt; 只是文字。',
  '&lt;img src=x onerror="window.__pwned=1"&gt; 也只是文字。',
  '## 二、保障措施',
  '加强组织领导。',
  '加大经费投入。',
  '强化队伍建设。',
  '营造良好氛围。',
].join('\n\n') + '\n';
const REV2 = REV1.replace('达到10%', '达到12%');
const REV3 = REV2
  .replace('普及科学知识。', '普及科学知识。\n\n新增一段：到2025年建成全国科普示范区。')
  .replace('只是文字。', '仍然只是文字，&lt;script&gt;y&lt;/script&gt; 也是。');

// A long plan (3,000 paragraphs and one of 60,000 characters), then every
// paragraph edited and the long one rewritten: the comparison must stay
// bounded, and still pair the edited paragraphs.
function bigPlan(version) {
  let seed = 7919;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const chars = '科学技术普及协会发展规划目标任务措施保障创新服务人才基层组织建设工作年度全面推进';
  const para = (n) => Array.from({ length: n }, () => chars[Math.floor(rnd() * chars.length)]).join('');
  let paras = Array.from({ length: 3000 }, () => para(20 + Math.floor(rnd() * 60)));
  paras.push(para(60000));
  if (version === 2) {
    paras = paras.map((p, i) => i === 3000 ? Array.from(p).reverse().join('')
      : p.slice(0, 10) + '改' + p.slice(11));
  }
  return '---\nid: big\ntitle: 长规划\nstatus: adopted\n---\n\n' + paras.join('\n\n') + '\n';
}

let work, out, server, base, browser, revs;

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
}

function buildSite() {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'planpress-compare-'));
  const repo = path.join(work, 'repo');
  out = path.join(work, 'out');
  fs.mkdirSync(path.join(repo, 'content', 'plans'), { recursive: true });
  const env = {
    ...process.env, HOME: work, GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test Editor', GIT_AUTHOR_EMAIL: 'editor@example.org',
    GIT_COMMITTER_NAME: 'Test Editor', GIT_COMMITTER_EMAIL: 'editor@example.org',
  };
  const git = (...args) => sh('git', ['-C', repo, ...args], { env });
  const commit = (date, msg) => {
    git('add', '-A');
    sh('git', ['-C', repo, 'commit', '-q', '--allow-empty', '-m', msg],
      { env: { ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } });
  };
  git('-c', 'init.defaultBranch=main', 'init', '-q');
  fs.writeFileSync(path.join(repo, 'content', 'site.yaml'), 'title: 测试站点\nlanguage: zh-CN\n');
  const plan = path.join(repo, 'content', 'plans', 'p.md');
  fs.writeFileSync(plan, REV1);
  commit('2020-01-10T10:00:00+08:00', '征求意见稿 <b>不是标记</b>');
  fs.writeFileSync(plan, REV2);
  fs.writeFileSync(path.join(repo, 'content', 'plans', 'big.md'), bigPlan(1));
  commit('2020-02-10T10:00:00+08:00', '目标提高到12%');
  fs.writeFileSync(path.join(repo, 'content', 'plans', 'big.md'), bigPlan(2));
  fs.writeFileSync(plan, REV3);
  commit('2020-03-10T10:00:00+08:00', '新增一段');
  revs = git('log', '--format=%H', '--', 'content/plans/p.md').trim().split('\n').map((h) => h.slice(0, 12));
  assert.equal(revs.length, 3);
  sh(PLANPRESS, ['build', '--repo', repo, '--out', out, '--quiet'], { env });
  assert.ok(fs.existsSync(path.join(out, 'plans', 'p', 'history', 'index.html')), 'no history page');
}

// ---- a static server on 127.0.0.1, the site under PREFIX ---------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml',
};

function serve(root) {
  const s = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (!rel.startsWith(PREFIX)) { res.writeHead(404).end('outside the prefix'); return; }
    let file = path.join(root, rel.slice(PREFIX.length));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    let st = fs.existsSync(file) ? fs.statSync(file) : null;
    if (st && st.isDirectory()) {
      if (!rel.endsWith('/')) { res.writeHead(301, { Location: rel + '/' }).end(); return; }
      file = path.join(file, 'index.html');
      st = fs.existsSync(file) ? fs.statSync(file) : null;
    }
    if (!st || !st.isFile()) { res.writeHead(404).end('not found'); return; }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

before(async () => {
  if (skip) return;
  buildSite();
  server = await serve(out);
  base = `http://127.0.0.1:${server.address().port}${PREFIX}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await new Promise((r) => server.close(r));
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function newPage(viewport = DESKTOP, opts = {}) {
  const context = await browser.newContext({ viewport, ...opts });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    return u.hostname === '127.0.0.1' ? route.continue() : route.abort();
  });
  return page;
}

const HISTORY = 'plans/p/history/';

async function compare(page, a, b) {
  await page.selectOption('#compare-a', a);
  await page.selectOption('#compare-b', b);
  await page.click('#compare-form button[type=submit]');
  await page.waitForSelector('#compare-result .compare-head');
}

function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  return page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
}

// ---- tests ------------------------------------------------------------------------------

test('the compare form lists every revision, defaults to the previous and the newest', { skip }, async () => {
  const page = await newPage();
  const resp = await page.goto(base + HISTORY);
  assert.equal(resp.status(), 200);
  await page.waitForSelector('#compare-form:not([hidden])');
  const opts = await page.$$eval('#compare-a option', (os) => os.map((o) => ({ v: o.value, t: o.textContent })));
  assert.deepEqual(opts.map((o) => o.v), revs, 'newest first, every revision');
  assert.match(opts[2].t, /征求意见稿 <b>不是标记<\/b>/, 'a message with markup is shown as text');
  assert.match(opts[1].t, /2020年2月10日/);
  assert.equal(await page.inputValue('#compare-a'), revs[1]);
  assert.equal(await page.inputValue('#compare-b'), revs[0]);
  // the list of revisions is still there
  assert.equal(await page.locator('.revision-list > li').count(), 3);
  assert.deepEqual(page.errors, []);
});

test('comparing the first revision with the last marks changed characters and added paragraphs', { skip }, async () => {
  const page = await newPage();
  await page.goto(base + HISTORY);
  await compare(page, revs[2], revs[0]);
  const res = page.locator('#compare-result');
  // the changed figure, character level, whole numbers
  const changed = res.locator('.diff-block.diff-change', { hasText: '科学素质的比例' });
  assert.equal(await changed.count(), 1);
  assert.equal(await changed.locator('del').allTextContents().then((t) => t.join('|')), '10');
  assert.equal(await changed.locator('ins').allTextContents().then((t) => t.join('|')), '12');
  assert.equal(await changed.textContent(), '到2020年公民具备科学素质的比例达到1012%。');
  // the added paragraph
  const added = res.locator('.diff-block.diff-add');
  assert.equal(await added.count(), 1);
  assert.equal((await added.textContent()).trim(), '新增一段：到2025年建成全国科普示范区。');
  assert.equal(await added.locator('ins').count(), 1);
  // unchanged runs folded
  const fold = res.locator('details.diff-fold');
  assert.ok(await fold.count() >= 1, 'unchanged paragraphs are folded');
  assert.match(await fold.first().locator('summary').textContent(), /\d+ 段未改动/);
  assert.equal(await res.locator('.diff-del').count(), 0);
  // the links to both revisions resolve under the prefix
  const hrefs = await res.locator('.compare-head a').evaluateAll((as) => as.map((a) => a.href));
  assert.equal(hrefs.length, 2);
  assert.ok(hrefs[0].startsWith(base) && hrefs[0].endsWith(`/history/${revs[2]}/`), hrefs[0]);
  assert.ok(hrefs[1].endsWith(`/history/${revs[0]}/`), hrefs[1]);
  assert.deepEqual(page.errors, []);
  await page.setViewportSize(DESKTOP);
  await shot(page, 'compare-desktop.png');
  if (process.env.COMPARE_DUMP) fs.writeFileSync(process.env.COMPARE_DUMP, await res.innerHTML());
});

test('markup in the plan text is shown as text, never run', { skip }, async () => {
  const page = await newPage();
  await page.goto(base + HISTORY);
  await compare(page, revs[2], revs[0]);
  const res = page.locator('#compare-result');
  assert.equal(await res.locator('script, img, b').count(), 0, 'no element from the text');
  const text = await res.textContent();
  assert.ok(text.includes('<script>x</script>'), 'the old markup as text');
  assert.ok(text.includes('<img src=x onerror="window.__pwned=1">'), 'the img as text');
  const marked = res.locator('.diff-change', { hasText: '规划文本里的标记' });
  assert.equal(await marked.count(), 1);
  assert.match((await marked.locator('ins').allTextContents()).join(''), /<script>y<\/script>/);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(page.errors, []);
});

test('history/?a=REV&b=REV opens with the comparison; the same revision twice says so', { skip }, async () => {
  const page = await newPage();
  await page.goto(`${base}${HISTORY}?a=${revs[1]}&b=${revs[0]}`);
  await page.waitForSelector('#compare-result .compare-head');
  assert.equal(await page.locator('#compare-result .diff-add').count(), 1);
  assert.equal(await page.locator('#compare-result .diff-change del', { hasText: '10' }).count(), 0,
    'the second revision already had 12%');
  await compare(page, revs[0], revs[0]);
  assert.equal(await page.locator('#compare-result .compare-none').count(), 1);
  assert.equal(await page.locator('#compare-result .diff-block').count(), 0);
});

test('a long plan rewritten throughout is compared in bounded time', { skip }, async () => {
  const page = await newPage();
  await page.goto(base + 'plans/big/history/');
  const t0 = Date.now();
  await page.click('#compare-form button[type=submit]');
  await page.waitForSelector('#compare-result .compare-head', { timeout: 20000 });
  const ms = Date.now() - t0;
  assert.ok(ms < 15000, `took ${ms} ms`);
  assert.ok(await page.locator('#compare-result .diff-change ins', { hasText: /^改$/ }).count() > 100,
    'edited paragraphs paired and marked by character');
  assert.deepEqual(page.errors, []);
});

test('on a phone the form and the result fit the screen', { skip }, async () => {
  const page = await newPage(PHONE, { isMobile: true, hasTouch: true });
  await page.goto(base + HISTORY);
  await compare(page, revs[2], revs[0]);
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(over <= 0, `the page is ${over}px wider than the screen`);
  const box = await page.locator('#compare-a').boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, 'the select fits');
  assert.ok(box.height >= 24, 'the select is big enough to tap');
  await shot(page, 'compare-phone.png');
});

test('without JavaScript the history page still lists every revision and says why there is no form', { skip }, async () => {
  const page = await newPage(DESKTOP, { javaScriptEnabled: false });
  await page.goto(base + HISTORY);
  assert.equal(await page.locator('.revision-list > li').count(), 3);
  assert.equal(await page.locator('#compare-form').isVisible(), false);
  assert.equal(await page.locator('.compare-noscript').isVisible(), true);
});
