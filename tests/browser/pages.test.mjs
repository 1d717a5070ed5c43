// pages.test.mjs — browser checks of a built planpress site with the default
// theme: links, phone layout, table of contents, draft badge, build footer,
// language, contrast, print styles, keyboard access and no outside requests.
//
//   SITE_DIR=/tmp/site node --test tests/browser/
//
// SITE_DIR   the built site (required; without it every test is skipped)
// CONTENT_DIR the content the site was built from (default: this repository's
//            content/); plan ids, draft plans and the language come from it
// CHROMIUM   the browser (default /usr/bin/chromium)
// SCREENSHOT_DIR where screenshots go (default: build/screenshots/ of this repository)
//
// The site is served over HTTP on 127.0.0.1 by a tiny static server in this
// file (never file://), the way a static host serves it: a folder serves its
// index.html, a missing file gets 404.html with status 404.

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
const SHOTS = path.resolve(process.env.SCREENSHOT_DIR || path.join(repoRoot, 'build', 'screenshots'));
const DRAFT_EXAMPLE = 'chuzhou-cast-13th';

const skip = SITE_DIR ? false : 'SITE_DIR is not set: build a site and point SITE_DIR at it';

const PHONE = { width: 390, height: 844 };
const SMALL_PHONE = { width: 360, height: 740 };
const DESKTOP = { width: 1366, height: 900 };

// ---- what the site should hold, from its content ------------------------------

function frontMatter(file) {
  const text = fs.readFileSync(file, 'utf8');
  const m = text.match(/^---\r?\n([\s\S]*?)\r?\n---/);
  const fm = {};
  if (!m) return fm;
  for (const line of m[1].split(/\r?\n/)) {
    const kv = line.match(/^([A-Za-z_][\w-]*):\s*(.*?)\s*$/);
    if (kv) fm[kv[1]] = kv[2].replace(/^["']|["']$/g, '');
  }
  return fm;
}

function walkMd(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walkMd(p));
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out.sort();
}

const expectedPlans = walkMd(path.join(CONTENT_DIR, 'plans')).map((f) => {
  const fm = frontMatter(f);
  return { id: fm.id || path.basename(f, '.md'), status: fm.status || 'adopted' };
});
const expectedPages = walkMd(path.join(CONTENT_DIR, 'pages')).map((f) =>
  path.relative(path.join(CONTENT_DIR, 'pages'), f).replace(/\.md$/, ''));
const siteLanguage = (() => {
  const f = path.join(CONTENT_DIR, 'site.yaml');
  if (!fs.existsSync(f)) return 'zh-CN';
  const m = fs.readFileSync(f, 'utf8').match(/^language:\s*["']?([\w-]+)/m);
  return m ? m[1] : 'zh-CN';
})();

// ---- a static server on 127.0.0.1 ---------------------------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.xml': 'application/xml',
  '.csv': 'text/csv; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
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
    let file = path.join(root, rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    let st = fs.existsSync(file) ? fs.statSync(file) : null;
    if (st && st.isDirectory()) {
      if (!rel.endsWith('/')) {
        res.writeHead(301, { Location: rel + '/' }).end();
        return;
      }
      file = path.join(file, 'index.html');
      st = fs.existsSync(file) ? fs.statSync(file) : null;
    }
    if (!st || !st.isFile()) {
      const nf = path.join(root, '404.html');
      res.writeHead(404, { 'Content-Type': TYPES['.html'] });
      res.end(fs.existsSync(nf) ? fs.readFileSync(nf) : 'not found');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream' });
    res.end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// ---- browser ---------------------------------------------------------------------

let server, base, browser;
const requests = []; // every URL any page asked for
const blocked = [];  // those that did not go to 127.0.0.1

before(async () => {
  if (skip) return;
  assert.ok(fs.existsSync(path.join(SITE_DIR, 'index.html')), `no index.html in SITE_DIR ${SITE_DIR}`);
  assert.ok(fs.existsSync(CHROMIUM), `no browser at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
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

async function newPage(viewport = DESKTOP, opts = {}) {
  const context = await browser.newContext({ viewport, ...opts });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    requests.push(url);
    const u = new URL(url);
    if (u.protocol === 'data:' || u.hostname === '127.0.0.1') return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return context.newPage();
}

async function open(page, rel) {
  const resp = await page.goto(base + rel, { waitUntil: 'load' });
  return resp;
}

function planUrl(id) { return `plans/${id}/`; }

// Every page of the site: each folder's index.html (goal, task, matrix, body
// pages included), and 404.html. search/ is left to the search tests.
function allPageUrls() {
  const out = [];
  const walk = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const r = rel + e.name + '/';
      if (['assets/', 'data/', 'search/'].includes(r)) continue;
      if (fs.existsSync(path.join(dir, e.name, 'index.html'))) out.push(r);
      walk(path.join(dir, e.name), r);
    }
  };
  if (SITE_DIR) walk(SITE_DIR, '');
  return ['', ...out.sort(), '404.html'];
}
// Pages that may use JavaScript (SPEC: search and comparing revisions).
const mayScript = (rel) => /^search\/|\/(diff|history)\//.test(rel);

// ---- tests ---------------------------------------------------------------------------

test('the example content is there to check', { skip }, () => {
  assert.ok(expectedPlans.length >= 1, `no plans under ${CONTENT_DIR}/plans`);
  if (CONTENT_DIR === path.join(repoRoot, 'content')) {
    assert.equal(expectedPlans.length, 5, 'the example site has five plans');
    assert.ok(expectedPlans.some((p) => p.id === DRAFT_EXAMPLE && p.status === 'draft'));
  }
});

test('home lists every plan, with its status, and every link resolves', { skip }, async () => {
  const page = await newPage();
  const resp = await open(page, '');
  assert.equal(resp.status(), 200);
  const items = await page.$$eval('.plan-list > li', (lis) => lis.map((li) => ({
    href: li.querySelector('a')?.getAttribute('href'),
    title: li.querySelector('a')?.textContent.trim(),
    status: li.querySelector('.status')?.textContent.trim(),
  })));
  const hrefs = items.map((i) => i.href).sort();
  assert.deepEqual(hrefs, expectedPlans.map((p) => planUrl(p.id)).sort(),
    'one list item per plan, linked relatively as plans/ID/');
  for (const it of items) {
    assert.ok(it.title, `a plan link without a title: ${it.href}`);
    assert.ok(it.status, `no status badge for ${it.href}`);
  }
  for (const it of items) {
    const r = await page.request.get(new URL(it.href, base + '').href);
    assert.equal(r.status(), 200, `${it.href} answers ${r.status()}`);
  }
  // Pages are listed too.
  for (const id of expectedPages) {
    assert.equal(await page.locator(`main a[href="pages/${id}/"]`).count(), 1, `home links pages/${id}/`);
  }
  await page.context().close();
});

test('every link on every page resolves (relative links, no 404)', { skip }, async () => {
  const page = await newPage();
  const checked = new Map();
  for (const rel of allPageUrls()) {
    const resp = await open(page, rel);
    assert.equal(resp.status(), 200, `${rel || 'home'} answers ${resp.status()}`);
    const links = await page.$$eval('a[href]', (as) => as.map((a) => ({
      raw: a.getAttribute('href'), abs: a.href, content: !!a.closest('.doc-body'),
    })));
    for (const { raw, abs, content } of links) {
      // The text of a plan may link to other sites; everything else is relative.
      if (content && /^(https?|mailto):/i.test(raw)) continue;
      // 404.html is shown at any depth: its links start from the base URL's path
      // (site.yaml's base_url is https://example.org/, so "/").
      assert.ok(!/^[a-z]+:/i.test(raw) && (rel === '404.html' ? raw.startsWith('/') || raw.startsWith('#') : !raw.startsWith('/')),
        `${rel || 'home'}: link ${raw} is not ${rel === '404.html' ? 'rooted at the base path' : 'relative'}`);
      const u = new URL(abs);
      const key = u.origin + u.pathname;
      if (!checked.has(key)) checked.set(key, (await page.request.get(key)).status());
      assert.equal(checked.get(key), 200, `${rel || 'home'}: ${raw} answers ${checked.get(key)}`);
      if (u.hash && key === new URL(page.url()).origin + new URL(page.url()).pathname) {
        const id = decodeURIComponent(u.hash.slice(1));
        assert.equal(await page.locator(`[id="${id.replace(/"/g, '\\"')}"]`).count(), 1,
          `${rel || 'home'}: ${raw} points to a missing id`);
      }
    }
    // Stylesheets load from the site itself.
    const css = await page.$$eval('link[rel=stylesheet]', (ls) => ls.map((l) => l.href));
    assert.ok(css.length >= 1, `${rel}: no stylesheet`);
    for (const href of css) assert.equal((await page.request.get(href)).status(), 200, `${rel}: ${href}`);
  }
  await page.context().close();
});

test('every page: lang, landmarks, skip link, search form, no script', { skip }, async () => {
  const page = await newPage();
  for (const rel of allPageUrls()) {
    await open(page, rel);
    const info = await page.evaluate(() => ({
      lang: document.documentElement.getAttribute('lang'),
      header: document.querySelectorAll('header.site-header, body > header').length,
      nav: document.querySelectorAll('nav').length,
      main: document.querySelectorAll('main').length,
      mainId: document.querySelector('main')?.id,
      footer: document.querySelectorAll('body > footer, footer.site-footer').length,
      skip: document.querySelector('a.skip-link')?.getAttribute('href'),
      firstLink: document.querySelector('a')?.classList.contains('skip-link'),
      title: document.title,
      h1: document.querySelectorAll('h1').length,
      scripts: document.querySelectorAll('script').length,
      search: [...document.querySelectorAll('form[role=search]')].map((f) => ({
        action: f.action, method: f.method, q: !!f.querySelector('input[name=q]'),
        label: !!(f.querySelector('input[name=q]')?.labels?.length),
      })),
    }));
    const where = rel || 'home';
    assert.equal(info.lang, siteLanguage, `${where}: <html lang>`);
    assert.ok(info.header >= 1 && info.nav >= 1 && info.main === 1 && info.footer >= 1,
      `${where}: landmarks header/nav/main/footer ${JSON.stringify(info)}`);
    assert.equal(info.skip, '#' + info.mainId, `${where}: the skip link targets <main>`);
    assert.ok(info.firstLink, `${where}: the skip link is the first link`);
    assert.ok(info.title.length > 0, `${where}: <title>`);
    assert.equal(info.h1, 1, `${where}: one h1`);
    if (!mayScript(rel)) assert.equal(info.scripts, 0, `${where}: no JavaScript on this page`);
    assert.ok(info.search.length >= 1, `${where}: a search form`);
    const s = info.search[0];
    assert.equal(s.action, base + 'search/', `${where}: the search form submits to the root's search/`);
    assert.equal(s.method, 'get');
    assert.ok(s.q && s.label, `${where}: a labelled input named q`);
  }
  await page.context().close();
});

test('footer names the commit (12 hex) and its date on every page', { skip }, async () => {
  const page = await newPage();
  for (const rel of allPageUrls()) {
    await open(page, rel);
    const f = await page.evaluate(() => {
      const footer = document.querySelector('footer.site-footer');
      return {
        text: footer?.innerText || '',
        rev: footer?.querySelector('.commit')?.textContent.trim(),
        full: footer?.querySelector('.commit')?.getAttribute('title'),
        date: footer?.querySelector('time')?.getAttribute('datetime'),
        visible: !!footer && footer.getBoundingClientRect().height > 0,
      };
    });
    const where = rel || 'home';
    assert.ok(f.visible, `${where}: footer visible`);
    assert.match(f.rev || '', /^[0-9a-f]{12}$/, `${where}: 12-hex commit in the footer`);
    assert.ok(f.text.includes(f.rev), `${where}: the commit is in the footer's text`);
    assert.match(f.full || '', /^[0-9a-f]{40}$/, `${where}: the full commit id as the title`);
    assert.ok(f.full.startsWith(f.rev));
    assert.match(f.date || '', /^\d{4}-\d{2}-\d{2}$/, `${where}: the commit date`);
  }
  await page.context().close();
});

test('no horizontal scrolling on phones (390 and 360 px wide)', { skip }, async () => {
  for (const vp of [PHONE, SMALL_PHONE]) {
    const page = await newPage(vp, { isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    for (const rel of allPageUrls()) {
      await open(page, rel);
      const m = await page.evaluate(() => {
        const el = document.documentElement;
        const wide = [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > el.clientWidth + 1)
          .filter((e) => !e.closest('table'))
          .slice(0, 3).map((e) => e.tagName + '.' + e.className);
        return { sw: el.scrollWidth, cw: el.clientWidth, bw: document.body.scrollWidth, wide };
      });
      assert.ok(m.sw <= m.cw, `${rel || 'home'} at ${vp.width}px: scrollWidth ${m.sw} > clientWidth ${m.cw} (${m.wide})`);
      assert.ok(m.bw <= m.cw, `${rel || 'home'} at ${vp.width}px: body ${m.bw} wide`);
    }
    await page.context().close();
  }
});

test('plan pages: table of contents links to existing headings', { skip }, async () => {
  const page = await newPage(DESKTOP);
  let withToc = 0;
  for (const p of expectedPlans) {
    await open(page, planUrl(p.id));
    const toc = await page.evaluate(() => [...document.querySelectorAll('nav.toc a')].map((a) => a.getAttribute('href')));
    const headings = await page.$$eval('.doc-body h2', (hs) => hs.length);
    if (headings === 0) continue;
    withToc++;
    assert.ok(toc.length >= headings, `${p.id}: TOC has ${toc.length} links for ${headings} h2`);
    for (const href of toc) {
      assert.match(href, /^#./, `${p.id}: TOC link ${href} is a fragment`);
      const id = decodeURIComponent(href.slice(1));
      const target = await page.evaluate((i) => {
        const el = document.getElementById(i);
        return el ? el.tagName : null;
      }, id);
      assert.ok(target && /^H[1-6]$/.test(target), `${p.id}: TOC link ${href} has no heading (found ${target})`);
    }
  }
  assert.ok(withToc >= 1, 'at least one plan has a table of contents');
  await page.context().close();
});

test('plan pages: the goals list shows each goal once, numbered only as the plan numbers it', { skip }, async () => {
  const page = await newPage(DESKTOP);
  let lists = 0;
  for (const p of expectedPlans) {
    await open(page, planUrl(p.id));
    const goals = await page.evaluate(() => [...document.querySelectorAll('.plan-goals li')].map((li) => ({
      marker: getComputedStyle(li).listStyleType,
      text: li.textContent.trim(),
    })));
    if (!goals.length) continue;
    lists++;
    for (const g of goals) {
      // the titles carry the plan's own numbering (1. / （三） / 三、 / ——):
      // a list marker before them would number them twice
      assert.equal(g.marker, 'none', `${p.id}: a list marker before "${g.text}"`);
    }
  }
  assert.ok(lists >= 1, 'a plan lists its goals');
  await page.context().close();
});

test('TOC: a sticky side column on desktop, a closed <details> on phones', { skip }, async () => {
  const id = expectedPlans.find((p) => p.id === 'hubei-cast-13th')?.id || expectedPlans[0].id;
  const desk = await newPage(DESKTOP);
  await open(desk, planUrl(id));
  const d = await desk.evaluate(() => {
    const side = document.querySelector('nav.toc-side');
    const inline = document.querySelector('nav.toc-inline');
    const cs = side && getComputedStyle(side);
    return {
      side: !!side && cs.display !== 'none' && side.getBoundingClientRect().width > 0,
      sticky: cs && cs.position,
      inline: !!inline && getComputedStyle(inline).display !== 'none',
    };
  });
  assert.ok(d.side, 'side TOC visible on desktop');
  assert.equal(d.sticky, 'sticky');
  assert.ok(!d.inline, 'the phone TOC is hidden on desktop');
  // Still in view after scrolling far down.
  await desk.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
  const top = await desk.evaluate(() => document.querySelector('nav.toc-side').getBoundingClientRect().top);
  assert.ok(top >= 0 && top < 100, `side TOC sticks to the top (top=${top})`);
  await desk.context().close();

  const phone = await newPage(PHONE, { isMobile: true, hasTouch: true });
  await open(phone, planUrl(id));
  const p = await phone.evaluate(() => {
    const side = document.querySelector('nav.toc-side');
    const det = document.querySelector('nav.toc-inline details');
    return {
      side: !!side && getComputedStyle(side).display !== 'none',
      details: !!det && getComputedStyle(det.closest('nav')).display !== 'none',
      open: det?.open,
    };
  });
  assert.ok(!p.side, 'side TOC hidden on phones');
  assert.ok(p.details, 'collapsible TOC shown on phones');
  assert.equal(p.open, false, 'collapsed until asked');
  await phone.locator('nav.toc-inline summary').click();
  assert.equal(await phone.evaluate(() => document.querySelector('nav.toc-inline details').open), true);
  assert.ok(await phone.locator('nav.toc-inline a').first().isVisible());
  await phone.context().close();
});

test('the draft plan shows a draft badge; adopted plans do not', { skip }, async () => {
  const drafts = expectedPlans.filter((p) => p.status === 'draft');
  assert.ok(drafts.length >= 1, 'the content has a draft plan');
  const page = await newPage(PHONE);
  for (const p of expectedPlans) {
    await open(page, planUrl(p.id));
    const badge = page.locator('main .status-draft').first();
    if (p.status === 'draft') {
      assert.ok(await badge.isVisible(), `${p.id}: draft badge visible`);
      const text = (await badge.innerText()).trim();
      assert.ok(text.length > 0, `${p.id}: the badge says something`);
      const inBanner = await page.locator('.doc-header .draft-banner').first().isVisible();
      assert.ok(inBanner, `${p.id}: a draft notice above the title`);
      // The badge is above the fold on a phone.
      const box = await badge.boundingBox();
      assert.ok(box && box.y < PHONE.height, `${p.id}: badge above the fold`);
    } else {
      assert.equal(await page.locator('main .status-draft').count(), 0, `${p.id}: not a draft`);
    }
  }
  await open(page, '');
  for (const p of drafts) {
    const item = page.locator('.plan-list > li', { has: page.locator(`a[href="${planUrl(p.id)}"]`) });
    assert.ok(await item.locator('.status-draft').isVisible(), `home marks ${p.id} as a draft`);
  }
  await page.context().close();
});

// Relative luminance and contrast (WCAG 2.1).
function contrastScript() {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const v = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const bg = parse(getComputedStyle(e).backgroundColor);
      if (bg && bg.a > 0) layers.push(bg);
      if (bg && bg.a === 1) break;
    }
    let c = { r: 255, g: 255, b: 255, a: 1 };
    for (let i = layers.length - 1; i >= 0; i--) c = over(layers[i], c);
    return c;
  };
  window.__contrast = (sel) => [...document.querySelectorAll(sel)].filter((e) => e.getClientRects().length > 0)
    .slice(0, 5).map((e) => {
      const bg = background(e);
      const fg = over(parse(getComputedStyle(e).color), bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      return { sel, ratio: (a + 0.05) / (b + 0.05), color: getComputedStyle(e).color };
    });
}

test('text contrast is at least 4.5:1 (WCAG 2.1 AA)', { skip }, async () => {
  const page = await newPage(DESKTOP);
  const selectors = ['body', 'main', '.doc-body p', '.doc-body blockquote p', '.doc-body h2',
    '.doc-body h3', '.doc-body a', '.doc-meta dt', '.doc-meta dd', '.status', '.draft-banner',
    '.breadcrumb li', '.site-title a', '.site-nav a', '.site-search button', '.toc a',
    '.site-footer p', '.site-footer .commit', '.plan-item-title a', '.plan-item-meta dd',
    '.home-description', '.skip-link', '.preview-notice', '.role', '.mark-lead', '.mark-partner',
    '.matrix-table th', '.matrix-table caption', '.bodies-table td', '.item-sub', '.plan-tools li',
    '.empty-note', '.lead-text', '.matrix-legend'];
  const seen = new Set();
  const draft = expectedPlans.find((p) => p.status === 'draft');
  const all = allPageUrls();
  const extra = [all.find((r) => /\/matrix\/$/.test(r)), all.find((r) => r === 'bodies/'),
    all.find((r) => /\/(tasks|goals)\/[^/]+\/$/.test(r)), all.find((r) => /^bodies\/.+\/$/.test(r))];
  for (const rel of ['', planUrl(expectedPlans[0].id), draft && planUrl(draft.id), ...extra].filter((x) => x !== undefined)) {
    await open(page, rel);
    await page.evaluate(contrastScript);
    for (const sel of selectors) {
      const rs = await page.evaluate((s) => window.__contrast(s), sel);
      for (const r of rs) {
        seen.add(sel);
        assert.ok(r.ratio >= 4.5, `${rel || 'home'} ${sel}: contrast ${r.ratio.toFixed(2)} (${r.color})`);
      }
    }
  }
  assert.ok(seen.has('.doc-body p') && seen.has('body'), 'body text was measured');
  await page.context().close();
});

test('keyboard: the skip link appears on focus and focus is visible', { skip }, async () => {
  const page = await newPage(DESKTOP);
  await open(page, planUrl(expectedPlans[0].id));
  await page.keyboard.press('Tab');
  const skipInfo = await page.evaluate(() => {
    const a = document.activeElement;
    const r = a.getBoundingClientRect();
    const cs = getComputedStyle(a);
    return { cls: a.className, top: r.top, h: r.height, outline: cs.outlineStyle, ow: parseFloat(cs.outlineWidth) };
  });
  assert.equal(skipInfo.cls, 'skip-link', 'Tab reaches the skip link first');
  assert.ok(skipInfo.top >= 0 && skipInfo.h > 0, 'the skip link is on screen when focused');
  assert.ok(skipInfo.outline !== 'none' && skipInfo.ow >= 2, 'a visible focus ring');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'MAIN', 'the skip link moves focus to <main>');
  await page.keyboard.press('Tab');
  const next = await page.evaluate(() => {
    const a = document.activeElement;
    const cs = getComputedStyle(a);
    return { tag: a.tagName, outline: cs.outlineStyle, ow: parseFloat(cs.outlineWidth), inMain: !!a.closest('main') };
  });
  assert.ok(next.inMain, 'after skipping, Tab continues inside main');
  assert.ok(next.outline !== 'none' && next.ow >= 2, `focus ring on ${next.tag}`);
  await page.context().close();
});

test('print: no navigation, search or TOC; black text on white', { skip }, async () => {
  const page = await newPage(DESKTOP);
  const draft = expectedPlans.find((p) => p.status === 'draft') || expectedPlans[0];
  await open(page, planUrl(draft.id));
  await page.emulateMedia({ media: 'print' });
  const v = await page.evaluate(() => {
    const shown = (sel) => [...document.querySelectorAll(sel)].some((e) => getComputedStyle(e).display !== 'none' && e.getClientRects().length > 0);
    const p = document.querySelector('.doc-body p');
    return {
      nav: shown('nav'), search: shown('form[role=search], .site-search'), toc: shown('.toc'),
      body: !!p && p.getClientRects().length > 0, color: p && getComputedStyle(p).color,
      bg: getComputedStyle(document.body).backgroundColor, title: shown('h1'),
      badge: shown('.status-draft'), footer: shown('footer'),
      overflow: document.querySelector('.doc-body table') ? getComputedStyle(document.querySelector('.doc-body table')).overflowX : 'visible',
    };
  });
  assert.ok(!v.nav, 'no nav on paper');
  assert.ok(!v.search, 'no search box on paper');
  assert.ok(!v.toc, 'no table of contents on paper');
  assert.ok(v.body && v.title, 'the text and title are printed');
  assert.equal(v.color, 'rgb(0, 0, 0)', 'black text');
  assert.match(v.bg, /rgb\(255, 255, 255\)|rgba\(0, 0, 0, 0\)/, 'white paper');
  assert.ok(v.footer, 'the footer (commit) is printed');
  if (draft.status === 'draft') assert.ok(v.badge, 'a draft stays marked on paper');
  // And it really prints.
  const pdf = await page.pdf({ format: 'A4' });
  assert.ok(pdf.length > 10000, 'a PDF was produced');
  await page.context().close();
});

test('the 404 page is served for missing addresses', { skip }, async () => {
  const page = await newPage(DESKTOP);
  const resp = await open(page, 'no-such-page');
  assert.equal(resp.status(), 404);
  assert.equal(await page.locator('h1').count(), 1);
  assert.ok(await page.locator('footer .commit').isVisible());
  // shown for a deep address, its stylesheet and links still resolve
  const deep = await open(page, 'plans/no/such/deep/page/');
  assert.equal(deep.status(), 404);
  const css = await page.$$eval('link[rel=stylesheet]', (ls) => ls.map((l) => l.href));
  assert.ok(css.length >= 1);
  for (const href of css) assert.equal((await page.request.get(href)).status(), 200, href);
  const home = await page.$$eval('nav a[href], .doc a[href]', (as) => as.map((a) => a.href));
  assert.ok(home.length >= 1);
  for (const href of home) assert.equal((await page.request.get(href)).status(), 200, href);
  await page.context().close();
});

test('screenshots: home and a plan, phone and desktop', { skip }, async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const plan = expectedPlans.find((p) => p.id === 'hubei-cast-13th') || expectedPlans[0];
  const draft = expectedPlans.find((p) => p.status === 'draft');
  const shots = [
    ['home-desktop', DESKTOP, '', true],
    ['home-phone', PHONE, '', true],
    ['plan-desktop', DESKTOP, planUrl(plan.id), false],
    ['plan-phone', PHONE, planUrl(plan.id), false],
  ];
  if (draft) shots.push(['draft-phone', PHONE, planUrl(draft.id), false]);
  for (const [name, vp, rel, full] of shots) {
    const mobile = vp.width < 600;
    const page = await newPage(vp, mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {});
    await open(page, rel);
    const file = path.join(SHOTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: full });
    assert.ok(fs.statSync(file).size > 5000, `${file} written`);
    await page.context().close();
  }
});

// Last: every request made by the tests above went to 127.0.0.1.
test('no request leaves 127.0.0.1 (no CDN fonts, no analytics)', { skip }, async () => {
  const page = await newPage(DESKTOP);
  for (const rel of allPageUrls()) await open(page, rel);
  await page.context().close();
  assert.ok(requests.length > 0, 'requests were recorded');
  assert.deepEqual(blocked, [], 'requests to other hosts');
  for (const rel of allPageUrls()) {
    const file = rel === '404.html' ? path.join(SITE_DIR, rel) : path.join(SITE_DIR, rel, 'index.html');
    const html = fs.readFileSync(file, 'utf8');
    // What a browser would fetch or send to: src, <link href>, form action.
    const ext = [
      ...html.matchAll(/\b(?:src|srcset|action)\s*=\s*["']((?:https?:)?\/\/[^"']+)/gi),
      ...html.matchAll(/<link\b[^>]*\bhref\s*=\s*["']((?:https?:)?\/\/[^"']+)/gi),
      ...html.matchAll(/url\(\s*["']?((?:https?:)?\/\/[^)"']+)/gi),
    ].map((m) => m[1]);
    assert.deepEqual(ext, [], `${rel || 'home'}: references to other hosts`);
  }
  const css = fs.readFileSync(path.join(SITE_DIR, 'assets', 'style.css'), 'utf8');
  assert.ok(!/url\(\s*["']?(?:https?:)?\/\//i.test(css) && !/@import/i.test(css), 'the stylesheet loads nothing from outside');
});
