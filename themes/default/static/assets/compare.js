/* compare.js — compare any two revisions of a plan, in the browser, from the
 * static revision pages (plans/PLAN/history/REV/). Used by the history page:
 * #compare-form has two selects whose options carry data-url (the revision
 * page, relative to this page); the result goes into #compare-result with the
 * classes of the build-time diff (diff-block diff-same|diff-add|diff-del|
 * diff-change|diff-move, <ins>/<del>), unchanged runs folded in <details>.
 *
 * The text of a revision is its `.doc-body`, one paragraph per block element
 * (headings, paragraphs, list items, table cells ...). Paragraphs are aligned
 * with a Myers O(ND) diff; a removed and an added paragraph that look alike
 * are paired and compared code point by code point (Chinese has no spaces),
 * the changed stretches widened to whole ASCII words and numbers and tiny
 * equal gaps merged, as the build-time diff does. Work is capped: past the
 * cap a stretch is shown as a whole-paragraph replacement.
 *
 * Fetched text only ever reaches the page as text nodes. */
(function () {
  'use strict';

  var form = document.getElementById('compare-form');
  var result = document.getElementById('compare-result');
  var status = document.getElementById('compare-status');
  if (!form || !result || !window.fetch || !window.DOMParser) return;
  var app = document.getElementById('compare') || form;
  var selA = form.querySelector('select[name=a]');
  var selB = form.querySelector('select[name=b]');
  if (!selA || !selB) return;

  var MAX_COST = 1500;        // edit distance explored per Myers run
  var BUDGET = 30000000;      // steps per comparison, over all runs
  var MAX_PAIR_UNITS = 200000; // code points of a pair compared by character
  var PAIR_WINDOW = 8;        // added paragraphs tried for each removed one
  var CONTEXT = 2;            // unchanged paragraphs shown around a change

  function msg(name, fallback) {
    var v = app.getAttribute('data-' + name);
    return v == null || v === '' ? fallback : v;
  }
  function fill(s, vals) {
    return s.replace(/\{(\w+)\}/g, function (m, k) { return k in vals ? String(vals[k]) : m; });
  }

  // ---- DOM helpers: elements and text nodes only -----------------------------

  function el(tag, cls, kids) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (kids) for (var i = 0; i < kids.length; i++) {
      var k = kids[i];
      if (k == null) continue;
      e.appendChild(typeof k === 'string' ? document.createTextNode(k) : k);
    }
    return e;
  }

  // ---- the paragraphs of a revision page ----------------------------------------

  var BLOCK = /^(P|H[1-6]|LI|DT|DD|TD|TH|CAPTION|FIGCAPTION|PRE|BLOCKQUOTE|UL|OL|DL|TABLE|TR|THEAD|TBODY|TFOOT|DIV|SECTION|ARTICLE|ASIDE|HEADER|FOOTER|FIGURE|DETAILS|SUMMARY|HR|ADDRESS)$/;
  var SKIP = /^(SCRIPT|STYLE|TEMPLATE|NOSCRIPT|BUTTON|svg)$/i;

  // [{text, heading}] of the page's .doc-body; [] when it has none (a
  // revision that deleted the plan or could not be read).
  function paragraphs(doc) {
    var body = doc.querySelector('.doc-body');
    var out = [];
    if (!body) return out;
    var buf = '';
    function flush(heading) {
      var t = buf.replace(/ *\n */g, '\n').replace(/^[ \n]+|[ \n]+$/g, '');
      buf = '';
      if (t) out.push({ text: t, heading: !!heading });
    }
    function walk(node) {
      for (var c = node.firstChild; c; c = c.nextSibling) {
        if (c.nodeType === 3) {
          buf += c.data.replace(/[ \t\r\n\f]+/g, ' ');
        } else if (c.nodeType === 1) {
          var tag = c.tagName.toUpperCase();
          if (SKIP.test(tag) || (c.classList && c.classList.contains('item-link'))) continue;
          if (tag === 'BR') { buf += '\n'; continue; }
          if (BLOCK.test(tag)) {
            flush(false);
            walk(c);
            flush(/^H[1-6]$/.test(tag));
          } else {
            walk(c);
          }
        }
      }
    }
    walk(body);
    flush(false);
    return out;
  }

  var cache = {};
  function load(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: 'same-origin' }).then(function (r) {
        if (!r.ok) throw new Error(url + ': ' + r.status);
        return r.text();
      }).then(function (html) {
        return paragraphs(new DOMParser().parseFromString(html, 'text/html'));
      });
      cache[url].catch(function () { delete cache[url]; });
    }
    return cache[url];
  }

  // ---- Myers O(ND) ------------------------------------------------------------------

  var SAME = 0, DEL = 1, ADD = 2;

  // The edit script from a to b (arrays of numbers) as a list of SAME, DEL
  // and ADD, one per element; null when the distance exceeds MAX_COST or the
  // budget runs out. Keeps the V row of every step (O(D^2) memory).
  function myers(a, b, budget) {
    var n = a.length, m = b.length, i;
    var pre = 0, suf = 0;
    while (pre < n && pre < m && a[pre] === b[pre]) pre++;
    while (suf < n - pre && suf < m - pre && a[n - 1 - suf] === b[m - 1 - suf]) suf++;
    var ops = [];
    for (i = 0; i < pre; i++) ops.push(SAME);
    var an = n - pre - suf, bm = m - pre - suf, mid;
    if (an === 0 || bm === 0) {
      mid = [];
      for (i = 0; i < an; i++) mid.push(DEL);
      for (i = 0; i < bm; i++) mid.push(ADD);
    } else {
      mid = S_core(a, pre, an, b, pre, bm, budget);
      if (!mid) return null;
    }
    for (i = 0; i < mid.length; i++) ops.push(mid[i]);
    for (i = 0; i < suf; i++) ops.push(SAME);
    return ops;
  }

  function S_core(a, ao, n, b, bo, m, budget) {
    var max = Math.min(n + m, MAX_COST), off = max + 1;
    var v = new Int32Array(2 * max + 3), trace = [];
    var d, k, x, y, found = -1;
    v[off + 1] = 0;
    for (d = 0; d <= max && found < 0; d++) {
      for (k = -d; k <= d; k += 2) {
        if (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) x = v[off + k + 1];
        else x = v[off + k - 1] + 1;
        y = x - k;
        var x0 = x;
        while (x < n && y < m && a[ao + x] === b[bo + y]) { x++; y++; }
        v[off + k] = x;
        budget.left -= 2 + x - x0;
        if (x >= n && y >= m) { found = d; break; }
      }
      trace.push(v.slice(off - d, off + d + 1));
      if (budget.left < 0) return null;
    }
    if (found < 0) return null;
    var rev = [];
    x = n; y = m;
    for (d = found; d > 0; d--) {
      var pv = trace[d - 1]; // step d-1, k from -(d-1) at index 0
      k = x - y;
      var down = k === -d || (k !== d && pv[k - 1 + d - 1] < pv[k + 1 + d - 1]);
      var pk = down ? k + 1 : k - 1;
      var px = pv[pk + d - 1], py = px - pk;
      var sx = down ? px : px + 1;
      while (x > sx) { rev.push(SAME); x--; y--; }
      rev.push(down ? ADD : DEL);
      x = px; y = py;
    }
    while (x > 0) { rev.push(SAME); x--; }
    return rev.reverse();
  }

  // ---- paragraphs: aligned, paired, moves recognised ------------------------------

  // How alike two texts are, 0..1: the Dice coefficient of their character
  // bigrams (of the characters, for texts of one character).
  function grams(s) {
    var cps = Array.from(s), g = new Map(), n = 0;
    var step = cps.length > 1 ? 2 : 1;
    for (var i = 0; i + step <= cps.length; i++) {
      var key = step === 2 ? cps[i] + cps[i + 1] : cps[i];
      g.set(key, (g.get(key) || 0) + 1);
      n++;
    }
    return { g: g, n: n };
  }
  function alike(x, y) {
    if (!x.n || !y.n) return 0;
    var common = 0;
    x.g.forEach(function (c, key) {
      var o = y.g.get(key);
      if (o) common += Math.min(c, o);
    });
    return (2 * common) / (x.n + y.n);
  }

  // Rows {kind, o, n, move} from the old and new paragraph lists.
  function alignParagraphs(olds, news, budget) {
    var ids = new Map(), next = 0;
    function id(p) {
      var key = (p.heading ? 'h\u0000' : 'p\u0000') + p.text;
      if (!ids.has(key)) ids.set(key, next++);
      return ids.get(key);
    }
    var a = olds.map(id), b = news.map(id);
    var ops = myers(a, b, budget);
    if (!ops) { // whole replacement, common ends kept
      ops = [];
      var pre = 0, suf = 0, i;
      while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
      while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
      for (i = 0; i < pre; i++) ops.push(SAME);
      for (i = pre; i < a.length - suf; i++) ops.push(DEL);
      for (i = pre; i < b.length - suf; i++) ops.push(ADD);
      for (i = 0; i < suf; i++) ops.push(SAME);
    }
    var rows = [], oi = 0, ni = 0, p = 0;
    while (p < ops.length) {
      if (ops[p] === SAME) { rows.push({ kind: 'same', o: oi++, n: ni++ }); p++; continue; }
      var dels = [], adds = [];
      while (p < ops.length && ops[p] !== SAME) {
        if (ops[p] === DEL) dels.push(oi++); else adds.push(ni++);
        p++;
      }
      hunk(rows, dels, adds, olds, news);
    }
    moves(rows, olds, news);
    return rows;
  }

  // A run of removed and added paragraphs: each removed one paired with the
  // most alike of the next PAIR_WINDOW added ones, if alike enough.
  function hunk(rows, dels, adds, olds, news) {
    var pairs = [], from = 0;
    var ga = [];
    for (var i = 0; i < dels.length && from < adds.length; i++) {
      var gd = grams(olds[dels[i]].text), best = -1, bestS = 0.3;
      for (var j = from; j < adds.length && j < from + PAIR_WINDOW; j++) {
        if (olds[dels[i]].heading !== news[adds[j]].heading) continue;
        if (!ga[j]) ga[j] = grams(news[adds[j]].text);
        var s = alike(gd, ga[j]);
        if (s > bestS) { bestS = s; best = j; }
      }
      if (best >= 0) { pairs.push([i, best]); from = best + 1; }
    }
    var di = 0, ai = 0;
    pairs.forEach(function (pr) {
      for (; di < pr[0]; di++) rows.push({ kind: 'del', o: dels[di] });
      for (; ai < pr[1]; ai++) rows.push({ kind: 'add', n: adds[ai] });
      rows.push({ kind: 'change', o: dels[di++], n: adds[ai++] });
    });
    for (; di < dels.length; di++) rows.push({ kind: 'del', o: dels[di] });
    for (; ai < adds.length; ai++) rows.push({ kind: 'add', n: adds[ai] });
  }

  // A removed paragraph whose exact text was added elsewhere has moved.
  function moves(rows, olds, news) {
    var added = new Map(), count = 0;
    rows.forEach(function (r) {
      if (r.kind !== 'add') return;
      var t = news[r.n].text;
      if (Array.from(t).length < 4) return;
      if (!added.has(t)) added.set(t, []);
      added.get(t).push(r);
    });
    rows.forEach(function (r) {
      if (r.kind !== 'del') return;
      var list = added.get(olds[r.o].text);
      if (!list || !list.length) return;
      var to = list.shift();
      count++;
      r.kind = 'move-from'; r.move = count;
      to.kind = 'move-to'; to.move = count;
    });
  }

  // ---- characters: the changed stretches of a paired paragraph ---------------------

  function isWord(c) { return /^[0-9A-Za-z_]$/.test(c); }

  // [[kind, text]] with kind 'same', 'del' or 'ins', from old text x to new y.
  function charDiff(x, y, budget) {
    var a = Array.from(x), b = Array.from(y);
    var ops = a.length + b.length <= MAX_PAIR_UNITS && budget.left > 0 ?
      myers(a.map(cp), b.map(cp), budget) : null;
    if (!ops) return [['del', x], ['ins', y]];
    // the changed stretches as regions [o0, o1) x [n0, n1)
    var rg = [], i = 0, j = 0, p = 0;
    while (p < ops.length) {
      if (ops[p] === SAME) { i++; j++; p++; continue; }
      var r = { o0: i, o1: i, n0: j, n1: j };
      while (p < ops.length && ops[p] !== SAME) {
        if (ops[p] === DEL) i++; else j++;
        p++;
      }
      r.o1 = i; r.n1 = j;
      rg.push(r);
    }
    // widened to whole ASCII words and numbers (between regions old and new
    // agree code point by code point)
    for (var k = 0; k < rg.length; k++) {
      r = rg[k];
      var lo = k ? rg[k - 1].o1 : 0, hi = k + 1 < rg.length ? rg[k + 1].o0 : a.length;
      while (r.o0 > lo && r.n0 > 0 && isWord(a[r.o0 - 1]) &&
             ((r.o0 < r.o1 && isWord(a[r.o0])) || (r.n0 < r.n1 && isWord(b[r.n0])))) { r.o0--; r.n0--; }
      while (r.o1 < hi && r.n1 < b.length && isWord(a[r.o1]) &&
             ((r.o1 > r.o0 && isWord(a[r.o1 - 1])) || (r.n1 > r.n0 && isWord(b[r.n1 - 1])))) { r.o1++; r.n1++; }
    }
    // tiny equal gaps merged
    var merged = [];
    rg.forEach(function (q) {
      var last = merged[merged.length - 1];
      if (last) {
        var gap = q.o0 - last.o1;
        var sp = Math.max(last.o1 - last.o0, last.n1 - last.n0);
        var sk = Math.max(q.o1 - q.o0, q.n1 - q.n0);
        if (gap <= 2 || gap < Math.min(sp, sk)) { last.o1 = q.o1; last.n1 = q.n1; return; }
      }
      merged.push({ o0: q.o0, o1: q.o1, n0: q.n0, n1: q.n1 });
    });
    var out = [], pos = 0;
    merged.forEach(function (q) {
      if (q.o0 > pos) out.push(['same', a.slice(pos, q.o0).join('')]);
      if (q.o1 > q.o0) out.push(['del', a.slice(q.o0, q.o1).join('')]);
      if (q.n1 > q.n0) out.push(['ins', b.slice(q.n0, q.n1).join('')]);
      pos = q.o1;
    });
    if (pos < a.length) out.push(['same', a.slice(pos).join('')]);
    return out;
  }
  function cp(c) { return c.codePointAt(0); }

  // ---- rendering -------------------------------------------------------------------------

  function block(kind, heading, kids, id) {
    var e = el('div', 'diff-block ' + kind + (heading ? ' diff-heading' : ''), kids);
    if (id) e.id = id;
    return e;
  }

  function renderRow(r, olds, news, budget) {
    var o = r.o != null ? olds[r.o] : null, n = r.n != null ? news[r.n] : null;
    switch (r.kind) {
      case 'same': return block('diff-same', n.heading, [n.text]);
      case 'add': return block('diff-add', n.heading, [el('ins', null, [n.text])]);
      case 'del': return block('diff-del', o.heading, [el('del', null, [o.text])]);
      case 'move-from': {
        var a = el('a', null, [o.text]);
        a.setAttribute('href', '#compare-move-' + r.move);
        return block('diff-move diff-move-from', o.heading, [a], 'compare-moved-' + r.move);
      }
      case 'move-to': return block('diff-move diff-move-to', n.heading, [n.text], 'compare-move-' + r.move);
      default: {
        var parts = charDiff(o.text, n.text, budget).map(function (s) {
          return s[0] === 'same' ? s[1] : el(s[0], null, [s[1]]);
        });
        return block('diff-change', n.heading, parts);
      }
    }
  }

  function render(olds, news, optA, optB) {
    var budget = { left: BUDGET };
    var rows = alignParagraphs(olds, news, budget);
    var stats = { changed: 0, added: 0, removed: 0 };
    rows.forEach(function (r) {
      if (r.kind === 'change') stats.changed++;
      else if (r.kind === 'add') stats.added++;
      else if (r.kind === 'del') stats.removed++;
    });
    var frag = document.createDocumentFragment();
    var head = el('p', 'compare-head', [
      msg('from', 'From') + ' ', revLink(optA), ' ' + msg('to', 'to') + ' ', revLink(optB)]);
    frag.appendChild(head);
    var changed = stats.changed + stats.added + stats.removed + rows.filter(function (r) {
      return r.kind === 'move-to';
    }).length;
    if (!changed) {
      frag.appendChild(el('p', 'notice compare-none', [msg('none', 'The two revisions have the same text.')]));
      return { frag: frag, stats: stats };
    }
    frag.appendChild(el('p', 'compare-stats', [fill(msg('stats', '{changed} paragraphs changed, {added} added, {removed} removed'), stats)]));
    frag.appendChild(el('p', 'diff-legend', [
      el('del', null, [msg('legend-del', 'deleted text')]), ' ',
      el('ins', null, [msg('legend-ins', 'inserted text')])]));
    var body = el('div', 'compare-diff');
    for (var r = 0; r < rows.length;) {
      if (rows[r].kind !== 'same') { body.appendChild(renderRow(rows[r], olds, news, budget)); r++; continue; }
      var s = r;
      while (r < rows.length && rows[r].kind === 'same') r++;
      var len = r - s, lead = s === 0 ? 0 : CONTEXT, trail = r === rows.length ? 0 : CONTEXT;
      if (len >= 2 && lead <= len - 2 && trail <= len - 2 - lead) {
        var hidden = len - lead - trail, k;
        for (k = s; k < s + lead; k++) body.appendChild(renderRow(rows[k], olds, news, budget));
        var det = el('details', 'diff-fold', [
          el('summary', null, [fill(msg('unchanged', '{n} unchanged paragraphs'), { n: hidden })])]);
        for (k = s + lead; k < s + lead + hidden; k++) det.appendChild(renderRow(rows[k], olds, news, budget));
        body.appendChild(det);
        for (k = s + lead + hidden; k < r; k++) body.appendChild(renderRow(rows[k], olds, news, budget));
      } else {
        for (k = s; k < r; k++) body.appendChild(renderRow(rows[k], olds, news, budget));
      }
    }
    frag.appendChild(body);
    return { frag: frag, stats: stats };
  }

  function revLink(opt) {
    var a = el('a', null, [el('code', null, [opt.value])]);
    a.setAttribute('href', opt.getAttribute('data-url'));
    var date = opt.getAttribute('data-date');
    var span = el('span', 'compare-rev', [a]);
    if (date) span.appendChild(document.createTextNode(' (' + date + ')'));
    return span;
  }

  // ---- the form ------------------------------------------------------------------------------

  var seq = 0;
  // The status line is seen while loading or on error; once the result is
  // there it is left to screen readers (the result's head says the same).
  function setStatus(text, quiet) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle('visually-hidden', !!quiet);
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

  function text(opt) {
    if (opt.hasAttribute('data-deleted')) return Promise.resolve([]);
    return load(opt.getAttribute('data-url'));
  }

  function compare(focus) {
    var optA = selA.options[selA.selectedIndex], optB = selB.options[selB.selectedIndex];
    if (!optA || !optB) return;
    var my = ++seq;
    clear(result);
    result.setAttribute('aria-busy', 'true');
    setStatus(msg('loading', 'Loading …'));
    Promise.all([text(optA), text(optB)]).then(function (texts) {
      if (my !== seq) return;
      var out = render(texts[0], texts[1], optA, optB);
      clear(result);
      result.appendChild(out.frag);
      result.removeAttribute('aria-busy');
      setStatus(fill(msg('done', 'Compared {a} with {b}.'), { a: optA.value, b: optB.value }), true);
      if (focus) {
        var h = result.querySelector('.compare-head');
        if (h) { h.setAttribute('tabindex', '-1'); h.focus(); }
      }
    }).catch(function () {
      if (my !== seq) return;
      result.removeAttribute('aria-busy');
      setStatus('');
      clear(result);
      result.appendChild(el('p', 'notice compare-error', [msg('error', 'The revisions could not be loaded.')]));
    });
  }

  function pick(sel, value) {
    for (var i = 0; i < sel.options.length; i++) {
      if (sel.options[i].value === value) { sel.selectedIndex = i; return true; }
    }
    return false;
  }

  form.hidden = false;
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (window.history && history.replaceState) {
      var u = new URL(location.href);
      u.searchParams.set('a', selA.value);
      u.searchParams.set('b', selB.value);
      u.hash = 'compare';
      history.replaceState(null, '', u.pathname + u.search + u.hash);
    }
    compare(true);
  });

  // history/?a=REV&b=REV opens with that comparison
  var q = new URLSearchParams(location.search);
  if (q.get('a') && q.get('b') && pick(selA, q.get('a')) && pick(selB, q.get('b'))) compare(false);
})();
