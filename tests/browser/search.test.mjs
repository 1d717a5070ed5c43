// search.test.mjs — the search page of a built planpress site (search/ and
// assets/search.js) in headless Chromium: deep links and typed queries,
// Chinese phrases of 1 to 8 characters drawn from the plans with exact
// recall, mixed Chinese and Latin, filters, no results, markup in a query,
// keyboard use, a path prefix, and what the first query loads.
//
//   SITE_DIR=/tmp/site node --test tests/browser/search.test.mjs
//
// SITE_DIR    the built site (required; without it every test is skipped)
// CONTENT_DIR the content the site was built from (default: this repository's
//             content/); the phrases of the recall test are drawn from its plans
// CHROMIUM    the browser (default /usr/bin/chromium)
//
// The site is served over HTTP on 127.0.0.1 (never file://), at the root and
// under a path prefix, the way a static host serves it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const SITE_DIR = process.env.SITE_DIR ? path.resolve(process.env.SITE_DIR) : '';
const CONTENT_DIR = path.resolve(process.env.CONTENT_DIR || path.join(repoRoot, 'content'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PREFIX = '/some/prefix/'; // a second mount of the site
const exampleSite = CONTENT_DIR === path.join(repoRoot, 'content');

const skip = SITE_DIR ? false : 'SITE_DIR is not set: build a site and point SITE_DIR at it';

// ---- a static server on 127.0.0.1: the site at / and at PREFIX -------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.bin': 'application/octet-stream', '.xml': 'application/xml',
};

function serve(root) {
  const server = http.createServer((req, res) => {
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (rel.startsWith(PREFIX)) rel = '/' + rel.slice(PREFIX.length);
    let file = path.join(root, rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    let st = fs.existsSync(file) ? fs.statSync(file) : null;
    if (st && st.isDirectory()) {
      if (!rel.endsWith('/')) {
        res.writeHead(301, { Location: new URL(req.url, 'http://x').pathname + '/' }).end();
        return;
      }
      file = path.join(file, 'index.html');
      st = fs.existsSync(file) ? fs.statSync(file) : null;
    }
    if (!st || !st.isFile()) {
      res.writeHead(404, { 'Content-Type': TYPES['.html'] }).end('not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

let server, base, browser;
const blocked = [];

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(path.join(SITE_DIR, 'search', 'index.html')), `no search/index.html in ${SITE_DIR}`);
  assert.ok(fs.existsSync(path.join(SITE_DIR, 'search', 'manifest.json')), `no search index in ${SITE_DIR}`);
  server = await serve(SITE_DIR);
  base = `http://127.0.0.1:${server.address().port}/`;
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
});

async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.protocol === 'data:' || u.hostname === '127.0.0.1') return route.continue();
    blocked.push(u.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  return page;
}

// Waits until the search page has shown results, "no results" or an error.
async function settled(page) {
  await page.waitForFunction(() => {
    const app = document.getElementById('search-app');
    return app && ['results', 'none', 'error', 'idle', 'paused'].includes(app.dataset.state);
  }, null, { timeout: 30000 });
  return page.evaluate(() => document.getElementById('search-app').dataset.state);
}

async function openSearch(page, query, prefix = '') {
  const q = query === undefined ? '' : '?' + query;
  const resp = await page.goto(base + prefix.replace(/^\//, '') + 'search/' + q, { waitUntil: 'load' });
  assert.equal(resp.status(), 200);
  return settled(page);
}

const qs = (q) => 'q=' + encodeURIComponent(q);

// What the results show: href, kind, plan, title, snippet, marks.
function results(page) {
  return page.$$eval('#search-results a', (as) => as.map((a) => ({
    href: a.getAttribute('href'),
    abs: a.href,
    kind: a.querySelector('.search-kind')?.textContent,
    kindClass: a.querySelector('.search-kind')?.className,
    plan: a.querySelector('.search-plan')?.textContent || '',
    title: a.querySelector('.search-title')?.textContent,
    snippet: a.querySelector('.search-snippet')?.textContent || '',
    marks: [...a.querySelectorAll('mark')].map((m) => m.textContent),
    tags: [...a.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
  })));
}

// All the results of a query, through the page's own engine.
function allResults(page, q, filters) {
  return page.evaluate(([q, f]) => window.planpressSearch.all(q, f), [q, filters || {}]);
}

const site = () => JSON.parse(fs.readFileSync(path.join(SITE_DIR, 'data', 'site.json'), 'utf8'));

// ---- the truth: every searchable unit of the site, from its HTML pages --------------
//
// A plan page's text is cut at every heading (a section, or a goal, task or
// measure when the heading carries one) and at every list item with a role;
// the text before the first heading belongs to the plan itself, with its
// title. Free pages, bodies and indicators are one unit each. Computed in the
// browser from the built HTML, independently of the index.

async function siteUnits(page) {
  const data = site();
  const urls = {
    plans: data.plans.map((p) => p.url),
    pages: (data.pages || []).map((p) => p.url),
    bodies: data.bodies.map((b) => b.url),
    indicators: (data.indicators || []).map((i) => i.url),
  };
  return page.evaluate(async (urls) => {
    const dirs = { goal: 'goals', task: 'tasks', measure: 'measures' };
    const BLOCK = /^(P|DIV|LI|UL|OL|H[1-6]|BLOCKQUOTE|PRE|TABLE|THEAD|TBODY|TR|TD|TH|DL|DT|DD|HR|BR|SECTION|FIGURE|FIGCAPTION)$/;
    async function doc(url) {
      const html = await (await fetch('../' + url)).text();
      return new DOMParser().parseFromString(html, 'text/html');
    }
    const units = [];
    function unit(url) {
      const u = { url, text: '' };
      units.push(u);
      return u;
    }
    function add(u, s) { u.text += s; }
    for (const purl of urls.plans) {
      const d = await doc(purl);
      const top = unit(purl);
      add(top, d.querySelector('h1')?.textContent + '\n');
      let cur = top;
      const stack = [];
      const walk = (node) => {
        for (const n of node.childNodes) {
          if (n.nodeType === 3) { add(stack.length ? stack[stack.length - 1] : cur, n.data.replace(/\s+/g, ' ')); continue; }
          if (n.nodeType !== 1) continue;
          if (n.classList.contains('item-link')) continue;
          const role = [...n.classList].find((c) => c.startsWith('item-'))?.slice(5);
          if (/^H[1-6]$/.test(n.tagName)) {
            stack.length = 0;
            cur = unit(n.classList.contains('item') && dirs[role] ? `${purl}${dirs[role]}/${n.id}/` : `${purl}#${n.id}`);
            walk(n);
            add(cur, '\n');
            continue;
          }
          if (n.tagName === 'LI' && n.classList.contains('item') && dirs[role]) {
            stack.push(unit(`${purl}${dirs[role]}/${n.id}/`));
            walk(n);
            stack.pop();
            continue;
          }
          const u = () => (stack.length ? stack[stack.length - 1] : cur);
          if (BLOCK.test(n.tagName)) add(u(), '\n');
          walk(n);
          if (BLOCK.test(n.tagName)) add(u(), '\n');
        }
      };
      walk(d.querySelector('.doc-body'));
    }
    for (const url of urls.pages) {
      const d = await doc(url);
      unit(url).text = d.querySelector('h1').textContent + '\n' + (d.querySelector('.doc-body')?.textContent || '');
    }
    for (const url of [...urls.bodies, ...urls.indicators]) {
      const d = await doc(url);
      unit(url).text = d.querySelector('h1').textContent;
    }
    return units;
  }, urls);
}

// Phrases of 1 to 8 Chinese characters from the plans' Markdown, drawn with a
// fixed seed (the same phrases every run), and some that readers look for.
function phrases() {
  let seed = 20160504;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const runs = [];
  for (const f of fs.readdirSync(path.join(CONTENT_DIR, 'plans')).sort()) {
    if (!f.endsWith('.md')) continue;
    let text = fs.readFileSync(path.join(CONTENT_DIR, 'plans', f), 'utf8');
    text = text.replace(/^---\n[\s\S]*?\n---\n/, '').replace(/\{[#.][^}\n]*\}/g, '');
    for (const m of text.matchAll(/[\u4e00-\u9fff]{2,}/g)) runs.push(m[0]);
  }
  const out = new Set(['科普大篷车', '院士专家工作站', '科学技术协会', '学会', '创新驱动助力工程']);
  for (let len = 1; len <= 8; len++) {
    for (let k = 0; k < 6; k++) {
      const long = runs.filter((r) => r.length >= len);
      const r = long[Math.floor(rand() * long.length)];
      const at = Math.floor(rand() * (r.length - len + 1));
      out.add(r.slice(at, at + len));
    }
  }
  return [...out];
}

const urlKey = (u) => decodeURIComponent(u).replace(/^(\.\.\/)+/, '');
const pageOf = (u) => urlKey(u).replace(/#.*$/, '');

// ---- tests -----------------------------------------------------------------------------

test('a deep link opens with results: one <a> per result, kind, plan, marked snippet', { skip }, async () => {
  const page = await newPage();
  assert.equal(await openSearch(page, qs('科普')), 'results');
  const rs = await results(page);
  assert.equal(rs.length, 10, 'the first page shows ten results');
  for (const r of rs) {
    assert.ok(r.kind && r.title, `a result with a kind and a title: ${JSON.stringify(r)}`);
    assert.ok(!/^[a-z]+:/i.test(r.href) && !r.href.startsWith('/'), `relative link ${r.href}`);
    assert.ok(r.marks.length >= 1 && r.marks.every((m) => m.includes('科普')), `${r.href}: 科普 marked (${r.marks})`);
    if (!/search-kind-(plan|body|page)\b/.test(r.kindClass) && r.href.includes('plans/')) assert.ok(r.plan, `${r.href}: the plan is named`);
  }
  // each link resolves
  for (const r of rs) {
    const resp = await page.request.get(r.abs.replace(/#.*/, ''));
    assert.equal(resp.status(), 200, r.href);
  }
  assert.equal(await page.inputValue('#search-q'), '科普');
  const status = await page.textContent('#search-status');
  assert.match(status, /\d/, 'the status says how many');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('titles rank above text: a task found by its title comes first', { skip }, async () => {
  const page = await newPage();
  const data = site();
  const task = data.tasks.find((t) => /[\u4e00-\u9fff]{8,}/.test(t.title));
  const phrase = task.title.match(/[\u4e00-\u9fff]{8,}/)[0];
  await openSearch(page, qs(phrase));
  const rs = await results(page);
  assert.ok(rs.length >= 1);
  assert.ok(rs[0].title.includes(phrase), `first result "${rs[0].title}" holds "${phrase}" in its title`);
  // every result with the phrase in its title comes before every one without
  const inTitle = rs.map((r) => r.title.includes(phrase));
  assert.ok(inTitle.indexOf(false) < 0 || inTitle.lastIndexOf(true) < inTitle.indexOf(false),
    `title matches first: ${inTitle}`);
  await page.context().close();
});

test('a query typed into the page: results as you type, the URL follows', { skip }, async () => {
  const page = await newPage();
  assert.equal(await openSearch(page, ''), 'idle');
  assert.equal(await page.locator('#search-results a').count(), 0);
  await page.fill('#search-q', '');
  await page.locator('#search-q').pressSequentially('院士专家工作站', { delay: 20 });
  await page.waitForFunction(() => document.querySelectorAll('#search-results a').length > 0);
  await settled(page);
  const rs = await results(page);
  assert.ok(rs.length >= 1);
  for (const r of rs) assert.ok((r.title + r.snippet).includes('院士专家工作站'), `${r.href} holds the phrase`);
  assert.equal(new URL(page.url()).searchParams.get('q'), '院士专家工作站');
  // Enter on the page's form searches without leaving it
  await page.fill('#search-q', '学会');
  await page.press('#search-q', 'Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === '学会');
  await settled(page);
  assert.ok((await results(page)).every((r) => (r.title + r.snippet).includes('学会')));
  await page.context().close();
});

test('results appear as their records come: a slow one holds back only those below it', { skip }, async () => {
  const page = await newPage();
  await openSearch(page, qs('科普'));
  const want = (await results(page)).map((r) => r.href);
  assert.equal(want.length, 10);
  // the chunk file of the sixth result
  const chunk = await page.evaluate(async () => {
    const A = window.planpressSearch, m = await A.engine.manifest();
    const all = await A.all('科普', {}, { records: false });
    const c = Math.floor(all[5].doc / m.chunk);
    return 'search/d/' + Math.floor(c / 1000) + '/' + c + '.json';
  });
  await page.context().close();
  const slow = await newPage();
  let release;
  const held = new Promise((r) => { release = r; });
  await slow.route((u) => u.pathname.endsWith(chunk), async (route) => { await held; await route.continue(); });
  await slow.goto(base + 'search/?' + qs('科普'));
  // the five above it are shown while it is held
  await slow.waitForFunction(() => document.querySelectorAll('#search-results a').length >= 5, null, { timeout: 15000 });
  await slow.waitForTimeout(300);
  assert.equal(await slow.locator('#search-results a').count(), 5, 'nothing below the held result');
  assert.equal(await slow.evaluate(() => document.getElementById('search-app').dataset.state), 'busy');
  release();
  assert.equal(await settled(slow), 'results');
  assert.deepEqual((await results(slow)).map((r) => r.href), want, 'the same results in the same order');
  assert.deepEqual(slow.errors, []);
  await slow.context().close();
});

test('Back and Forward go through the searches made', { skip }, async () => {
  const page = await newPage();
  await openSearch(page, qs('科普'));
  await page.fill('#search-q', '学会');
  await page.press('#search-q', 'Enter');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('q') === '学会');
  await settled(page);
  await page.click('#search-filters summary');
  await page.check('input[name=kind][value=task]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('kind') === 'task');
  await settled(page);
  await page.goBack();
  await page.waitForFunction(() => !new URL(location.href).searchParams.get('kind'));
  await settled(page);
  assert.equal(await page.inputValue('#search-q'), '学会');
  assert.equal(await page.isChecked('input[name=kind][value=task]'), false);
  await page.goBack();
  await page.waitForFunction(() => document.getElementById('search-q').value === '科普');
  await settled(page);
  const rs = await results(page);
  assert.ok(rs.length >= 1 && rs.every((r) => r.marks.some((m) => m.includes('科普'))), 'the results of 科普 again');
  await page.goForward();
  await page.waitForFunction(() => document.getElementById('search-q').value === '学会');
  await page.context().close();
});

test('the search box on every page leads to search/ with results', { skip }, async () => {
  const page = await newPage();
  const data = site();
  for (const rel of ['', data.plans[0].url]) {
    await page.goto(base + rel);
    await page.fill('#site-search-q', '科普大篷车');
    await page.press('#site-search-q', 'Enter');
    await page.waitForURL(/search\/\?q=/);
    assert.equal(await settled(page), 'results');
    assert.ok((await results(page)).length >= 1, `from ${rel || 'home'}`);
  }
  await page.context().close();
});

test('recall: every document holding a phrase of 1 to 8 characters is found, and only those', { skip }, async () => {
  const page = await newPage();
  await openSearch(page, '');
  const units = await siteUnits(page);
  assert.ok(units.length > 50, `units of the site: ${units.length}`);
  const list = phrases();
  assert.ok(list.length >= 40, `${list.length} phrases`);
  const lengths = new Set(list.map((p) => p.length));
  for (let n = 1; n <= 8; n++) assert.ok(lengths.has(n), `a phrase of ${n} characters`);
  let checked = 0;
  for (const phrase of list) {
    const expected = new Set(units.filter((u) => u.text.includes(phrase)).map((u) => urlKey(u.url)));
    assert.ok(expected.size > 0, `"${phrase}" stands somewhere`);
    const got = await allResults(page, phrase);
    const found = new Set(got.map((r) => urlKey(r.url)));
    const missing = [...expected].filter((u) => !found.has(u));
    assert.deepEqual(missing, [], `"${phrase}": documents not found`);
    assert.equal(found.size, got.length, `"${phrase}": no result twice`);
    // and every result holds the phrase on its page
    const pages = new Set(units.filter((u) => u.text.includes(phrase)).map((u) => pageOf(u.url)));
    for (const r of got) {
      if (pages.has(pageOf(r.url))) continue;
      const html = await (await page.request.get(base + pageOf(r.url))).text();
      const text = html.replace(/<[^>]*>/g, '').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
      assert.ok(text.includes(phrase), `"${phrase}": ${r.url} does not hold it`);
    }
    checked++;
  }
  assert.equal(checked, list.length);
  await page.context().close();
});

test('Chinese phrases of 1 to 8 characters through the page, with marks', { skip }, async () => {
  const page = await newPage();
  const list = phrases();
  for (let n = 1; n <= 8; n++) {
    const phrase = list.find((p) => p.length === n);
    await openSearch(page, qs(phrase));
    const rs = await results(page);
    assert.ok(rs.length >= 1, `"${phrase}" has results`);
    for (const r of rs) {
      assert.ok(r.marks.some((m) => m.includes(phrase)) || (r.title + r.snippet).includes(phrase),
        `"${phrase}" in ${r.href}: ${r.marks}`);
    }
  }
  await page.context().close();
});

test('mixed Chinese and Latin: case, full-width forms, numbers, phrases and words', { skip }, async () => {
  const page = await newPage();
  await openSearch(page, '');
  const text = fs.readdirSync(path.join(CONTENT_DIR, 'plans')).map((f) => fs.readFileSync(path.join(CONTENT_DIR, 'plans', f), 'utf8')).join('\n');
  const cases = exampleSite
    ? [['STEM教育', 'STEM教育'], ['stem教育', 'STEM教育'], ['ＳＴＥＭ教育', 'STEM教育'], ['GDP', 'GDP'], ['gdp', 'GDP'],
      ['科普e站', '科普e站'], ['2.0时代', '2.0时代']]
    : [];
  for (const [q, standing] of cases) {
    assert.ok(text.includes(standing), `the content holds ${standing}`);
    const got = await allResults(page, q);
    assert.ok(got.length >= 1, `"${q}" finds something`);
  }
  if (exampleSite) {
    // folded forms find the same documents
    const a = (await allResults(page, 'STEM教育')).map((r) => r.url).sort();
    assert.deepEqual((await allResults(page, 'ｓｔｅｍ教育')).map((r) => r.url).sort(), a);
    // two words: documents with both first, then those with one
    const two = await allResults(page, '科普 stem');
    assert.equal(two[0].m, 2, 'a document holding both words comes first');
    const firstPartial = two.findIndex((r) => r.m < 2);
    assert.ok(firstPartial > 0 && two.slice(firstPartial).every((r) => r.m === 1), 'then those holding one');
    assert.equal(two.length, new Set([...(await allResults(page, '科普')), ...(await allResults(page, 'stem'))].map((r) => r.url)).size,
      'every document holding either word');
    // in the page: the marks show both scripts
    await openSearch(page, qs('STEM教育'));
    const rs = await results(page);
    assert.ok(rs.length >= 1 && rs[0].marks.some((m) => /STEM\s*教育/.test(m)), `marks: ${rs[0]?.marks}`);
  }
  await page.context().close();
});

test('filters: by kind, by plan and by body, in the page and in the URL', { skip }, async () => {
  const page = await newPage();
  const data = site();
  // kind, deep-linked
  await openSearch(page, qs('科普') + '&kind=task');
  let rs = await results(page);
  assert.ok(rs.length >= 1);
  assert.ok(rs.every((r) => /search-kind-task\b/.test(r.kindClass)), 'only tasks');
  assert.ok(await page.isChecked('input[name=kind][value=task]'), 'the filter shows as set');
  // kind, clicked: tasks and goals
  await page.check('input[name=kind][value=goal]');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('kind') === 'goal,task');
  await settled(page);
  rs = await results(page);
  assert.ok(rs.length >= 1 && rs.every((r) => /search-kind-(task|goal)\b/.test(r.kindClass)));
  const all = await allResults(page, '科普', { kinds: ['goal', 'task'] });
  assert.ok(all.every((r) => r.kind === 'goal' || r.kind === 'task'));
  assert.equal(all.length, (await allResults(page, '科普')).filter((r) => r.kind === 'goal' || r.kind === 'task').length);
  // plan, chosen from the list
  const plan = data.plans[1];
  await page.uncheck('input[name=kind][value=goal]');
  await page.uncheck('input[name=kind][value=task]');
  await page.focus('#search-plan');
  await page.selectOption('#search-plan', plan.id);
  await page.waitForFunction((id) => new URL(location.href).searchParams.get('plan') === id, plan.id);
  await settled(page);
  rs = await results(page);
  assert.ok(rs.length >= 1);
  assert.ok(rs.every((r) => urlKey(r.href).startsWith(plan.url) || r.href.includes('indicators/')), `only ${plan.id}`);
  const inPlan = await allResults(page, '科普', { plan: plan.id });
  const everywhere = await allResults(page, '科普');
  assert.ok(inPlan.length >= 1 && inPlan.length < everywhere.length);
  // body, deep-linked: the documents it leads or joins
  const task = data.tasks.find((t) => (t.lead || []).length);
  const body = task.lead[0];
  await openSearch(page, 'body=' + encodeURIComponent(body));
  rs = await results(page);
  assert.ok(rs.length >= 1, `documents of ${body}`);
  const ofBody = await allResults(page, '', { body });
  const urls = new Set(ofBody.map((r) => urlKey(r.url)));
  for (const t of data.tasks.filter((t) => (t.lead || []).includes(body) || (t.partners || []).includes(body))) {
    assert.ok(urls.has(urlKey(t.url)), `${t.url} is listed under ${body}`);
  }
  assert.equal(await page.inputValue('#search-body'), body, 'the body filter shows as set');
  await page.context().close();
});

test('a link with a plan filter loads its plan\'s row, not the list of every plan', { skip }, async () => {
  const page = await newPage();
  const plan = site().plans[2];
  await openSearch(page, qs('科普') + '&plan=' + encodeURIComponent(plan.id));
  const rs = await results(page);
  assert.ok(rs.length >= 1 && rs.every((r) => urlKey(r.href).startsWith(plan.url) || r.href.includes('indicators/')), `only ${plan.id}`);
  const files = () => page.evaluate(() => performance.getEntriesByType('resource')
    .map((r) => new URL(r.name).pathname).filter((p) => p.includes('/search/') && !p.endsWith('/search/')));
  let got = await files();
  const man = JSON.parse(fs.readFileSync(path.join(SITE_DIR, 'search', 'manifest.json'), 'utf8'));
  assert.ok(man.plan_shards >= 1, 'the manifest names the plan table\'s shards');
  assert.ok(got.some((f) => /\/search\/p\/\d+\.json$/.test(f)), `a shard of the plan table: ${got}`);
  assert.ok(!got.some((f) => f.endsWith('/search/plans.json')), 'not the list of every plan');
  // the panel is open on the filter, which shows the plan's title
  assert.equal(await page.inputValue('#search-plan'), plan.id);
  await page.waitForFunction((t) => document.querySelector('#search-plan').selectedOptions[0].textContent === t, plan.title);
  // the list of every plan comes when the reader turns to it
  await page.focus('#search-plan');
  await page.waitForFunction((n) => document.querySelectorAll('#search-plan option[value]:not([value=""])').length >= n, site().plans.length);
  got = await files();
  assert.ok(got.some((f) => f.endsWith('/search/plans.json')));
  assert.equal(await page.inputValue('#search-plan'), plan.id, 'still chosen');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a narrow filter: its documents holding the word, verified all at once, in the same order', { skip }, async () => {
  const page = await newPage();
  await openSearch(page, '');
  const r = await page.evaluate(async () => {
    const A = window.planpressSearch, E = A.engine, plans = await E.plans(), out = [];
    for (const w of ['学会', '科技', '建设', '科普', '服务']) {
      // every document holding the word, ranked, without filters
      const whole = await A.all(w, {}, { records: false });
      for (const p of plans) {
        const fresh = new A.Engine(E.base);
        const Q = new A.Query(fresh, w, { plan: p[0] });
        await Q.init();
        let got = [];
        for (;;) { const x = await Q.next(10); if (!x.length) break; got = got.concat(x); }
        const want = whole.filter((x) => x.doc >= p[2] && x.doc < p[3]);
        out.push({ w, plan: p[0], narrow: Q.narrow ? Q.narrow.length : null,
          got: got.map((x) => x.doc + ':' + x.score), want: want.map((x) => x.doc + ':' + x.score),
          segments: [...fresh.files.keys()].filter((k) => /^t\/.*-\d+\.bin$/.test(k)).length });
      }
    }
    return out;
  });
  const narrowed = r.filter((x) => x.narrow !== null);
  assert.ok(narrowed.length >= 1, `a plan narrow enough: ${JSON.stringify(r.map((x) => [x.w, x.plan, x.narrow]))}`);
  for (const x of r) {
    // the same documents, in the order of the whole ranking
    assert.deepEqual(x.got, x.want, `${x.w} in ${x.plan}`);
  }
  // the narrow ones read none of the word's ranked list
  for (const x of narrowed) assert.equal(x.segments, 0, `${x.w} in ${x.plan}: ${x.segments} segments`);
  // a filter no document passes: no results, and nothing of the word's lists
  const fresh = await newPage();
  assert.equal(await openSearch(fresh, qs('学会') + '&body=no-such-body'), 'none');
  const files = await fresh.evaluate(() => performance.getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname).filter((p) => p.includes('/search/t/')));
  assert.deepEqual(files, []);
  await page.context().close();
  await fresh.context().close();
});

test('false candidates: the memberships that explain them load in one round, those of overlapping terms do not', { skip }, async () => {
  // The case measured on the benchmark site: 加强科普设施建设 read from its
  // rarest trigram 普设施; of ten candidates, seven lacked 强科普 (six also
  // 加强科, one also 施建设). 加强科 shares 强科 with 强科普 and is missing with
  // it; 施建设 stands apart, so the one document lacking it says that later
  // candidates (which will hold 强科普) may lack it too: both memberships are
  // loaded now (施建设 or 设施建, its neighbour), 加强科 not at all. (Before, 施建设 was loaded a round later,
  // when seven more candidates had failed for it.)
  const page = await newPage();
  await openSearch(page, '');
  const r = await page.evaluate(async () => {
    const A = window.planpressSearch, loaded = [];
    const sizes = { 加强科: 21605, 强科普: 9114, 科普设: 4444, 设施建: 4700, 施建设: 4700 };
    const E = {
      checkCost: () => 1300 + 4096,
      memberCost: (e) => e.mbytes,
      members: async (e) => { loaded.push(e.term); return new Uint8Array(1); },
    };
    const Q = new A.Query(E, '加强科普设施建设');
    const w = A.parseQuery('加强科普设施建设', 24)[0];
    const into = [];
    Q.words = [w];
    Q.lazy = Object.keys(sizes).map((t) => ({ e: { term: t, mbytes: sizes[t] }, into, w }));
    const rec = (text) => ({ title: '', text });
    Q.failed = [
      rec('推进科普设施建设。'), rec('推进科普设施建设。'), rec('推进科普设施建设，完善制度。'),
      rec('推进科普设施建设，强化服务。'), rec('推进科普设施布局。'),
      rec('加强科技与科普设施建设。'), rec('加强科技和科普设施建设。'),
    ];
    Q.tried = 10;
    Q.matched = 3;
    await Q.tighten(26);
    return { loaded, rest: Q.failed.length, tried: Q.tried, left: Q.lazy.map((l) => l.e.term), into: into.length };
  });
  // 强科普, and one of 设施建 and 施建设 (they overlap: the same failure, the
  // same price); never 加强科 nor 科普设
  assert.equal(r.loaded.length, 2, JSON.stringify(r));
  assert.equal(r.loaded[0], '强科普', JSON.stringify(r));
  assert.ok(['设施建', '施建设'].includes(r.loaded[1]), JSON.stringify(r));
  assert.equal(r.into, 2);
  assert.ok(r.left.includes('加强科') && r.left.includes('科普设'), JSON.stringify(r));
  // every failure is excluded by a loaded membership now: none counts again
  assert.equal(r.rest, 0);
  assert.equal(r.tried, 3);
  await page.context().close();
});

test('no results: a message, no links', { skip }, async () => {
  const page = await newPage();
  assert.equal(await openSearch(page, qs('量子引力弦论')), 'none');
  assert.equal(await page.locator('#search-results a').count(), 0);
  const status = await page.textContent('#search-status');
  assert.ok(status.includes('量子引力弦论'), `the message names the query: ${status}`);
  assert.equal(await page.isVisible('#search-more'), false);
  assert.equal(await openSearch(page, qs('zzqqxxyy')), 'none');
  await page.context().close();
});

test('a query with markup in it is shown as text, never run', { skip }, async () => {
  const page = await newPage();
  const evil = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>科普';
  await openSearch(page, qs(evil));
  const v = await page.evaluate(() => ({
    pwned: window.__pwned,
    imgs: document.querySelectorAll('main img, #search-results img, #search-status img').length,
    scripts: [...document.querySelectorAll('script')].map((s) => s.getAttribute('src')),
    status: document.getElementById('search-status').textContent,
    input: document.getElementById('search-q').value,
  }));
  assert.equal(v.pwned, undefined, 'nothing ran');
  assert.equal(v.imgs, 0);
  assert.deepEqual(v.scripts, ['../assets/search.js']);
  assert.equal(v.input, evil);
  const rs = await results(page);
  for (const r of rs) assert.ok(r.tags.every((t) => ['span', 'mark'].includes(t)), `only spans and marks: ${r.tags}`);
  // no results for it: the message holds the markup as text
  assert.equal(await openSearch(page, qs('<svg/onload=alert(1)>量子引力')), 'none');
  const st = await page.textContent('#search-status');
  assert.ok(st.includes('<svg/onload=alert(1)>量子引力'), st);
  assert.equal(await page.locator('#search-app svg').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('keyboard: / focuses the box, arrows move through results, Escape goes back', { skip }, async () => {
  const page = await newPage();
  await openSearch(page, qs('科普'));
  await page.locator('h1').click();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search-q');
  await page.keyboard.press('ArrowDown');
  const first = await page.evaluate(() => document.activeElement.getAttribute('href'));
  const hrefs = (await results(page)).map((r) => r.href);
  assert.equal(first, hrefs[0]);
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), hrefs[1]);
  const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(ring, 'none', 'focus is visible');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search-q');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Escape');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search-q');
  // more results, by keyboard
  await page.focus('#search-more');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('#search-results a').length > 10);
  const after = (await results(page)).map((r) => r.href);
  assert.equal(new Set(after).size, after.length, 'no result twice');
  assert.deepEqual(after.slice(0, 10), hrefs);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('href')), after[10], 'focus on the first new result');
  // Enter opens a result
  await page.keyboard.press('Enter');
  await page.waitForURL((u) => !u.pathname.endsWith('/search/'));
  await page.context().close();
});

test('works under a path prefix, with relative links', { skip }, async () => {
  const page = await newPage();
  assert.equal(await openSearch(page, qs('科普大篷车'), PREFIX), 'results');
  const rs = await results(page);
  assert.ok(rs.length >= 1);
  for (const r of rs) {
    assert.ok(new URL(r.abs).pathname.startsWith(PREFIX), `${r.abs} under ${PREFIX}`);
    assert.equal((await page.request.get(r.abs.replace(/#.*/, ''))).status(), 200);
  }
  await page.context().close();
});

test('phones: no horizontal scrolling; the first query loads a small part of the index', { skip }, async () => {
  const page = await newPage({ width: 360, height: 740 });
  await openSearch(page, qs('创新驱动助力工程'));
  const m = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
  assert.ok(m.sw <= m.cw, `scrollWidth ${m.sw} > ${m.cw}`);
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource')
    .filter((e) => e.name.includes('/search/')).reduce((n, e) => n + e.decodedBodySize, 0));
  const total = fs.readFileSync(path.join(SITE_DIR, 'search', 'manifest.json'), 'utf8');
  const bytes = JSON.parse(total).bytes;
  assert.ok(loaded > 0 && loaded < bytes / 2, `loaded ${loaded} of ${bytes} bytes of index`);
  assert.ok(loaded < 200000, `the first query loaded ${loaded} bytes`);
  await page.context().close();
});

test('terms: trigrams of a Chinese phrase; a common word\'s first page needs its shard and its results only', { skip }, async () => {
  const page = await newPage();
  await openSearch(page, '');
  const terms = await page.evaluate(() => window.planpressSearch.parseQuery('科普大篷车 大篷车 科普', 24)
    .map((w) => ({ terms: w.terms, exact: w.exact })));
  assert.deepEqual(terms, [
    { terms: ['科普大', '普大篷', '大篷车'], exact: false },
    { terms: ['大篷车'], exact: true },
    { terms: ['科普'], exact: true },
  ]);
  // 科普 is in more documents than a shard holds inline: its list has
  // segments, and the top of it is in the shard
  const e = await page.evaluate(async () => {
    const e = await window.planpressSearch.engine.entry('科普');
    return { df: e.df, segs: e.segs ? e.segs.length : 0, top: e.top.docs.length };
  });
  const man = JSON.parse(fs.readFileSync(path.join(SITE_DIR, 'search', 'manifest.json'), 'utf8'));
  assert.ok(e.df > man.inline && e.segs >= 1 && e.top === man.top, JSON.stringify(e));
  const fresh = await newPage();
  await openSearch(fresh, qs('科普'));
  const rs = await results(fresh);
  assert.equal(rs.length, 10);
  const files = await fresh.evaluate(() => performance.getEntriesByType('resource')
    .map((r) => new URL(r.name).pathname).filter((p) => p.includes('/search/') && !p.endsWith('/search/')));
  assert.equal(new Set(files).size, files.length, `a file fetched twice: ${files}`);
  assert.deepEqual(files.filter((f) => f.includes('/search/t/')), [], 'no segment or membership');
  assert.equal(files.filter((f) => f.includes('/search/s/')).length, 1, 'one shard');
  assert.ok(files.filter((f) => f.includes('/search/d/')).length <= rs.length, 'a chunk at most a result');
  await page.context().close();
  await fresh.context().close();
});

test('without JavaScript: the page says search needs it', { skip }, async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(base + 'search/?q=' + encodeURIComponent('科普'));
  assert.ok(await page.isVisible('.search-noscript'));
  await context.close();
});

test('no request leaves 127.0.0.1', { skip }, () => {
  assert.deepEqual(blocked, []);
});
