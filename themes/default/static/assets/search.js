/* search.js — the search page of a planpress site (search/?q=...): loads the
 * parts of the static index under search/ that a query needs, verifies
 * phrases against the stored text, ranks, and shows the results with the
 * matches marked. Plain JavaScript, no dependencies. The index format and
 * the algorithm are described in docs/search.md; the character classes,
 * folding, hash and rank classes mirror generator/search.c. */
(function () {
  'use strict';

  // ---- characters: keep in step with generator/search.c ------------------

  var SEP = 0, WORD = 1, CJK = 2, IGNORE = 3;

  function fold(c) {
    if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;
    else if (c === 0x3000) c = 0x20;
    if (c >= 65 && c <= 90) c += 32;
    return c;
  }

  function charClass(c) {
    if (c < 0x80) {
      return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ? WORD : SEP;
    }
    if (c === 0xAD || (c >= 0x200B && c <= 0x200D) || c === 0x2060 || (c >= 0xFE00 && c <= 0xFE0F) ||
        c === 0xFEFF || (c >= 0xE0100 && c <= 0xE01EF)) return IGNORE;
    if (c < 0xC0 || c === 0xD7 || c === 0xF7) return SEP;
    if (c >= 0x1100 && c <= 0x11FF) return CJK;
    if (c >= 0x2000 && c <= 0x2BFF) return SEP;
    if (c >= 0x2E00 && c <= 0x2E7F) return SEP;
    if (c >= 0x2E80 && c <= 0x2FDF) return CJK;
    if (c >= 0x2FF0 && c <= 0x2FFF) return SEP;
    if (c >= 0x3000 && c <= 0x303F) return c >= 0x3005 && c <= 0x3007 ? CJK : SEP;
    if (c === 0x30FB) return SEP;
    if (c >= 0x3040 && c <= 0x31FF) return CJK;
    if (c >= 0x3200 && c <= 0x33FF) return SEP;
    if (c >= 0x3400 && c <= 0x4DBF) return CJK;
    if (c >= 0x4DC0 && c <= 0x4DFF) return SEP;
    if (c >= 0x4E00 && c <= 0x9FFF) return CJK;
    if (c >= 0xA960 && c <= 0xA97F) return CJK;
    if (c >= 0xAC00 && c <= 0xD7FF) return CJK;
    if (c >= 0xD800 && c <= 0xF8FF) return SEP;
    if (c >= 0xF900 && c <= 0xFAFF) return CJK;
    if (c >= 0xFE10 && c <= 0xFE6F) return SEP;
    if (c >= 0xFF00 && c <= 0xFF65) return SEP;
    if (c >= 0xFF66 && c <= 0xFFDC) return CJK;
    if (c >= 0xFFE0) {
      if (c <= 0xFFFF) return SEP;
      if (c >= 0x1F000 && c <= 0x1FAFF) return SEP;
      if (c >= 0x20000 && c <= 0x3FFFF) return CJK;
      if (c >= 0xF0000) return SEP;
    }
    return WORD;
  }

  // Folded text with every run of separators made one space, trimmed. With
  // `withMap`, map[i] and ends[i] give the span of the original text that
  // the i-th UTF-16 unit of the result came from (for highlighting).
  function normalize(s, withMap) {
    var out = [], map = withMap ? [] : null, ends = withMap ? [] : null, sep = true;
    for (var i = 0; i < s.length;) {
      var c = s.codePointAt(i), l = c > 0xFFFF ? 2 : 1, f = fold(c), k = charClass(f);
      if (k === SEP) {
        if (!sep) {
          out.push(' ');
          if (map) { map.push(i); ends.push(i + l); }
          sep = true;
        }
      } else if (k !== IGNORE) {
        var ch = String.fromCodePoint(f);
        out.push(ch);
        if (map) for (var u = 0; u < ch.length; u++) { map.push(i); ends.push(i + l); }
        sep = false;
      }
      i += l;
    }
    if (out.length && out[out.length - 1] === ' ') {
      out.pop();
      if (map) { map.pop(); ends.pop(); }
    }
    var str = out.join('');
    return withMap ? { s: str, map: map, ends: ends } : str;
  }

  // The index terms of a normalized word: trigrams of CJK runs (the run
  // itself for a run of one or two characters), words cut to `wordMax`
  // characters.
  function termsOf(w, wordMax) {
    var terms = [], run = [], word = [];
    function endRun() {
      if (run.length && run.length < 3) terms.push(run.join(''));
      for (var i = 0; i + 2 < run.length; i++) terms.push(run[i] + run[i + 1] + run[i + 2]);
      run = [];
    }
    function endWord() {
      if (word.length) terms.push(word.slice(0, wordMax).join(''));
      word = [];
    }
    for (var ch of w) {
      var k = charClass(ch.codePointAt(0));
      if (k === IGNORE) continue;
      if (k !== WORD) endWord();
      if (k !== CJK) endRun();
      if (k === WORD) word.push(ch);
      else if (k === CJK) run.push(ch);
    }
    endWord();
    endRun();
    return terms.filter(function (t, i) { return terms.indexOf(t) === i; });
  }

  function cpLength(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0xDC00 || c > 0xDFFF) n++;
    }
    return n;
  }

  var TITLE_LIMITS = [4, 8, 12, 16, 24, 32, 48];
  function rankClass(inTitle, titleLen, tf, bodyLen) {
    var t = 0, b = 0;
    if (inTitle) {
      t = 1;
      for (var k = 0; k < TITLE_LIMITS.length; k++) if (titleLen <= TITLE_LIMITS[k]) { t = 8 - k; break; }
    }
    if (tf) {
      var d = Math.floor(tf * 4096 / (bodyLen + 256));
      b = 1;
      for (var lim = 8; lim <= 256 && d >= lim; lim *= 2) b++;
    }
    return t * 8 + b;
  }

  var encoder = new TextEncoder(), decoder = new TextDecoder();
  function fnv1a(str) {
    var b = encoder.encode(str), h = 0x811c9dc5;
    for (var i = 0; i < b.length; i++) h = Math.imul(h ^ b[i], 16777619) >>> 0;
    return h;
  }

  // The words of a query: split at white space; "double quotes" keep a
  // phrase with spaces together. Each word is matched as a phrase.
  function parseQuery(q, wordMax) {
    var words = [], seen = {}, re = /["\uFF02]([^"\uFF02]*)["\uFF02]?|[^\s"\uFF02]+/g, m;
    while ((m = re.exec(q)) && words.length < 12) {
      var n = normalize(m[1] !== undefined ? m[1] : m[0]);
      if (!n || seen[n]) continue;
      seen[n] = 1;
      var terms = termsOf(n, wordMax);
      if (!terms.length) continue;
      words.push({ n: n, terms: terms, exact: terms.length === 1 && terms[0] === n });
    }
    return words;
  }

  // ---- the index ----------------------------------------------------------

  function Reader(bytes, pos) { this.b = bytes; this.p = pos || 0; }
  Reader.prototype.v = function () {
    var x = 0, mul = 1, c;
    do {
      c = this.b[this.p++];
      x += (c & 0x7F) * mul;
      mul *= 128;
    } while (c & 0x80);
    return x;
  };
  Reader.prototype.byte = function () { return this.b[this.p++]; };

  // n entries of a ranked list: runs of [class, count, document deltas].
  function readRanked(r, n) {
    var docs = new Uint32Array(n), cls = new Uint8Array(n), k = 0;
    while (k < n) {
      var c = r.byte(), cnt = r.v(), prev = 0;
      for (var j = 0; j < cnt; j++) {
        prev += r.v();
        docs[k] = prev;
        cls[k++] = c;
      }
    }
    return { docs: docs, cls: cls };
  }

  function Engine(base) {
    this.base = base;          // the URL of search/, relative to the page
    this.files = new Map();    // path -> Promise
    this.shards = new Map();   // shard number -> Promise<Map term -> entry>
    this.stats = { requests: 0, bytes: 0 };
    this.man = null;
  }

  Engine.prototype.fetch = function (path, json) {
    var key = path, self = this;
    if (this.files.has(key)) return this.files.get(key);
    var url = this.base + path + (this.man ? '?v=' + this.man.id : '');
    var p = fetch(url, this.man ? {} : { cache: 'no-cache' }).then(function (resp) {
      if (!resp.ok) throw new Error(path + ': HTTP ' + resp.status);
      return resp.arrayBuffer();
    }).then(function (buf) {
      self.stats.requests++;
      self.stats.bytes += buf.byteLength;
      var bytes = new Uint8Array(buf);
      return json ? JSON.parse(decoder.decode(bytes)) : bytes;
    });
    p.catch(function () { self.files.delete(key); });
    this.files.set(key, p);
    return p;
  };

  Engine.prototype.manifest = function () {
    var self = this;
    if (!this.manP) {
      this.manP = this.fetch('manifest.json', true).then(function (m) {
        if (m.format !== 2) throw new Error('unknown search index format ' + m.format);
        self.man = m;
        return m;
      });
      this.manP.catch(function () { self.manP = null; });
    }
    return this.manP;
  };

  function sub(n, pad) { return Math.floor(n / 1000) + '/' + n + pad; }

  Engine.prototype.shard = function (no) {
    var self = this;
    if (!this.shards.has(no)) {
      this.shards.set(no, this.fetch('s/' + no + '.bin').then(function (bytes) {
        var r = new Reader(bytes), n = r.v(), map = new Map(), inl = self.man.inline;
        for (var i = 0; i < n; i++) {
          var len = r.v(), term = decoder.decode(bytes.subarray(r.p, r.p + len));
          r.p += len;
          var e = { term: term, df: r.v() };
          if (e.df <= inl) {
            e.list = e.top = readRanked(r, e.df);
          } else {
            e.file = r.v();
            var ns = r.v();
            e.segs = [];
            for (var s = 0; s < ns; s++) e.segs.push({ n: r.v(), top: r.byte(), bytes: r.v() });
            e.mbytes = ns > 1 ? r.v() : e.segs[0].bytes;
            e.top = readRanked(r, self.man.top);
          }
          map.set(term, e);
        }
        return map;
      }));
    }
    return this.shards.get(no);
  };

  Engine.prototype.entry = function (term) {
    var self = this;
    return this.manifest().then(function (m) {
      return self.shard(fnv1a(term) % m.shards);
    }).then(function (map) { return map.get(term) || null; });
  };

  // Segment i of a term's ranked list ({docs, cls}).
  Engine.prototype.segment = function (e, i) {
    if (e.list) return Promise.resolve(e.list);
    if (!e.segP) e.segP = [];
    if (!e.segP[i]) {
      e.segP[i] = this.fetch('t/' + sub(e.file, '-' + i + '.bin')).then(function (bytes) {
        return readRanked(new Reader(bytes), e.segs[i].n);
      });
    }
    return e.segP[i];
  };

  function bitmapOf(docs, ndocs) {
    var bm = new Uint8Array((ndocs + 7) >> 3);
    for (var i = 0; i < docs.length; i++) bm[docs[i] >> 3] |= 1 << (docs[i] & 7);
    return bm;
  }
  function has(bm, d) { return (bm[d >> 3] >> (d & 7)) & 1; }

  // Every document holding a term, as a bitmap.
  Engine.prototype.members = function (e) {
    var nd = this.man.docs;
    if (!e.memP) {
      if (e.list || e.segs.length === 1) {
        e.memP = this.segment(e, 0).then(function (l) { return bitmapOf(l.docs, nd); });
      } else {
        e.memP = this.fetch('t/' + sub(e.file, '-m.bin')).then(function (b) {
          if (b[0] === 1) return b.subarray(1);
          var r = new Reader(b, 1), n = r.v(), docs = new Uint32Array(n), prev = 0;
          for (var i = 0; i < n; i++) { prev += r.v(); docs[i] = prev; }
          return bitmapOf(docs, nd);
        });
      }
    }
    return e.memP;
  };
  Engine.prototype.memberCost = function (e) {
    return e.list ? 0 : e.mbytes;
  };
  // What verifying a candidate costs: the bytes of a chunk on average, and
  // REQUEST more for its request. A request is weighed as 4 KB: in
  // Chromium each one costs about 1.5-3 ms of the browser's own work (ten
  // at once took 20-40 ms on the benchmark's machine, one 5-8 ms), the
  // time 4 KB takes at 20 Mbit/s; so a membership of 20 KB is loaded rather
  // than five more candidates verified with a request each.
  var REQUEST = 4096;
  Engine.prototype.checkCost = function () {
    return (this.man.chunk_bytes || 1024) + REQUEST;
  };

  // A document: {kind, url, title, alt, plan: [id, title] or null, text}.
  Engine.prototype.doc = function (d) {
    var c = Math.floor(d / this.man.chunk), k = d % this.man.chunk;
    return this.fetch('d/' + sub(c, '.json'), true).then(function (j) {
      var r = j.d[k];
      if (!r._rec) {
        r._rec = { doc: d, kind: r[0], url: r[1], title: r[2], alt: r[3],
                   plan: r[4] >= 0 ? j.p[r[4]] : null, text: r[5] };
      }
      return r._rec;
    });
  };

  Engine.prototype.plans = function () { return this.fetch('plans.json', true); };
  // One plan's row [id, title, first document, end], or null: from its
  // shard of the plan table (a file of about 1 KB), not the whole list.
  Engine.prototype.plan = function (id) {
    var self = this;
    return this.manifest().then(function (m) {
      if (!m.plan_shards) return self.plans();
      return self.fetch('p/' + (fnv1a(id) % m.plan_shards) + '.json', true);
    }).then(function (rows) {
      for (var i = 0; i < rows.length; i++) if (rows[i][0] === id) return rows[i];
      return null;
    });
  };
  Engine.prototype.bodies = function () { return this.fetch('bodies.json', true); };

  // ---- streams of candidates -----------------------------------------------

  // Walks a term's ranked list (class descending, document ascending): the
  // top of the list from its shard, then its segments (the first from
  // where the top ends).
  function Cursor(E, e) { this.E = E; this.e = e; this.seg = -1; this.pos = 0; this.cur = e.top; }
  Cursor.prototype.peek = async function () {
    for (;;) {
      if (!this.cur) {
        var nseg = this.e.list ? 0 : this.e.segs.length;
        if (this.seg >= nseg) return null;
        this.cur = await this.E.segment(this.e, this.seg);
        this.pos = this.seg ? 0 : this.e.top.docs.length;
      }
      if (this.pos < this.cur.docs.length) return { doc: this.cur.docs[this.pos], ub: this.cur.cls[this.pos] };
      this.cur = null;
      this.seg++;
    }
  };
  // Whether the next candidates come from a segment yet to be fetched.
  Cursor.prototype.nearEnd = function (k) {
    return this.seg < 0 && !this.e.list && this.pos + k > this.cur.docs.length;
  };
  Cursor.prototype.advance = function () { this.pos++; };

  var CHEAP = 2048;   // memberships this small are loaded at once

  // The candidates of one word: the ranked list of its rarest term (the
  // driver), less the documents that lack one of its other terms as far as
  // their memberships are loaded, less those the filters exclude. Costly
  // memberships (s.lazy) are loaded only when verification shows they would
  // save more than they cost (Query.tighten).
  async function makeStream(E, w, filt) {
    var ents = await Promise.all(w.terms.map(function (t) { return E.entry(t); }));
    var s = { w: w, empty: ents.some(function (e) { return !e; }) };
    if (s.empty) return s;
    ents.sort(function (a, b) { return a.df - b.df || (a.term < b.term ? -1 : 1); });
    s.driver = ents[0];
    s.df = s.driver.df;
    s.lazy = ents.slice(1);
    // Cheap memberships are loaded at once, and filter candidates from the
    // second batch on (the first, from the top of the driver's list in its
    // shard, is verified meanwhile).
    var cheap = [];
    while (s.lazy.length && E.memberCost(s.lazy[0]) <= CHEAP) cheap.push(s.lazy.shift());
    s.mem = [];
    s.memP = Promise.all(cheap.map(function (e) { return E.members(e); }));
    s.memP.catch(function () {});
    s.ready = async function () {
      if (!s.memP) return;
      var m = await s.memP;
      s.memP = null;
      m.forEach(function (x) { s.mem.push(x); });
    };
    s.cursor = new Cursor(E, s.driver);
    s.pass = function (d) {
      for (var i = 0; i < s.mem.length; i++) if (!has(s.mem[i], d)) return false;
      return filt(d);
    };
    // Upper bound of the class of a document not in the top of the
    // driver's list (0 when the top is the whole list).
    s.frontier = s.driver.list ? 0 : s.driver.top.cls[s.driver.top.cls.length - 1];
    return s;
  }

  // The next candidate of a stream that passes its filters, or null.
  async function streamPeek(s, skip) {
    for (;;) {
      var c = await s.cursor.peek();
      if (!c || (s.pass(c.doc) && !(skip && skip(c.doc)))) return c;
      s.cursor.advance();
    }
  }

  // ---- matching and ranking -------------------------------------------------

  function prepared(rec) {
    if (!rec._p) {
      var tf = rec.alt ? rec.title + '\n' + rec.alt : rec.title;
      rec._p = { t: normalize(tf), tl: cpLength(tf), b: normalize(rec.text, true), bl: cpLength(rec.text) };
    }
    return rec._p;
  }

  function occurrences(hay, needle) {
    var n = 0, i = hay.indexOf(needle);
    while (i >= 0) { n++; i = hay.indexOf(needle, i + 1); }
    return n;
  }

  // Whether a document's title field or text holds a term.
  function holds(rec, t) {
    var p = prepared(rec);
    return p.t.indexOf(t) >= 0 || p.b.s.indexOf(t) >= 0;
  }

  // The rank class of a word in a document, or -1 when it is not there.
  function wordClass(rec, w) {
    var p = prepared(rec), inT = p.t.indexOf(w.n) >= 0, tf = occurrences(p.b.s, w.n);
    if (!inT && !tf) return -1;
    return rankClass(inT, p.tl, tf, p.bl);
  }

  // Results sort by words matched, then score, then document order.
  function better(a, b) {
    if (a.m !== b.m) return a.m > b.m;
    if (a.score !== b.score) return a.score > b.score;
    return a.doc < b.doc;
  }

  function Heap() { this.a = []; }
  Heap.prototype.push = function (x) {
    var a = this.a, i = a.length;
    a.push(x);
    while (i > 0) {
      var p = (i - 1) >> 1;
      if (!better(a[i], a[p])) break;
      var t = a[i]; a[i] = a[p]; a[p] = t; i = p;
    }
  };
  Heap.prototype.peek = function () { return this.a[0]; };
  Heap.prototype.pop = function () {
    var a = this.a, top = a[0], last = a.pop();
    if (a.length) {
      a[0] = last;
      for (var i = 0; ;) {
        var l = 2 * i + 1, r = l + 1, m = i;
        if (l < a.length && better(a[l], a[m])) m = l;
        if (r < a.length && better(a[r], a[m])) m = r;
        if (m === i) break;
        var t = a[i]; a[i] = a[m]; a[m] = t; i = m;
      }
    }
    return top;
  };
  Object.defineProperty(Heap.prototype, 'size', { get: function () { return this.a.length; } });

  // A query: words (each a phrase that must stand in the text) and filters.
  // next(n) gives the next n results, best first; `exhausted` says when all
  // were given. Every document that holds all the words is found, then
  // those that hold some of them. Candidates are verified against the
  // stored text in the order of an upper bound of their score, and a result
  // is given once no unverified candidate can beat it (or, to bound the
  // bytes loaded, once `cap` candidates were verified for one page).
  function Query(E, q, filters) {
    this.E = E;
    this.q = q;
    this.filters = filters || {};
    this.heap = new Heap();
    this.seen = new Set();
    this.given = 0;
    this.exhausted = false;
    this.total = null;   // the number of results, when known
    this.tier = 1;
    this.checked = 0;    // candidates verified so far
    this.matched = 0;    // of which held the words (in the first tier: all of them)
    this.tried = 0;      // verified, less the failures a loaded membership now excludes
    this.failed = [];    // the records of those that did not, not yet explained by a membership
    this.paused = false; // the last page stopped at its verification limit
  }

  Query.prototype.init = async function () {
    var E = this.E, m = await E.manifest(), f = this.filters, self = this;
    this.words = parseQuery(this.q, m.word_max);
    var checks = [], allowed = Infinity;
    if (f.kinds && f.kinds.length) {
      var kes = await Promise.all(f.kinds.map(function (k) { return E.entry('\u0001k:' + k); }));
      allowed = kes.reduce(function (n, e) { return n + (e ? e.df : 0); }, 0);
      var kms = await Promise.all(kes.filter(Boolean).map(function (e) { return E.members(e); }));
      checks.push(function (d) {
        for (var i = 0; i < kms.length; i++) if (has(kms[i], d)) return true;
        return false;
      });
    }
    if (f.plan) {
      var row = await E.plan(f.plan), range = row ? [row[2], row[3]] : [0, 0];
      this.range = range;
      allowed = Math.min(allowed, range[1] - range[0]);
      checks.push(function (d) { return d >= range[0] && d < range[1]; });
    }
    if (f.body) {
      var be = await E.entry('\u0001b:' + f.body);
      this.bodyEntry = be;
      allowed = Math.min(allowed, be ? be.df : 0);
      var bm = be ? await E.members(be) : new Uint8Array((m.docs + 7) >> 3);
      checks.push(function (d) { return has(bm, d) === 1; });
    }
    this.filt = function (d) {
      for (var i = 0; i < checks.length; i++) if (!checks[i](d)) return false;
      return true;
    };
    this.allowed = allowed; // (at most this many documents pass the filters)
    if (!this.words.length) {
      this.browse = checks.length > 0;
      this.browseAt = this.range ? this.range[0] : 0;
      this.browseEnd = this.range ? this.range[1] : m.docs;
      if (!this.browse) this.exhausted = true;
      return this;
    }
    this.streams = await Promise.all(this.words.map(function (w) { return makeStream(E, w, self.filt); }));
    // memberships that may be loaded later, and where each goes
    this.lazy = [];
    this.streams.forEach(function (s) {
      if (!s.empty) s.lazy.forEach(function (e) { self.lazy.push({ e: e, into: s.mem, w: s.w }); });
    });
    var live = this.streams.filter(function (s) { return !s.empty; });
    if (!live.length) { this.exhausted = true; this.total = 0; return this; }
    if (this.streams.length === 1) {
      if (this.words[0].exact && !checks.length) this.total = live[0].df;
      return this;
    }
    if (live.length < this.streams.length) { this.tier = 2; return this; }
    // Several words, all in the index: first the documents holding them all.
    // Every word's driver must be in the document; the candidates come from
    // the rarest word (the primary) and from what the tops of the words'
    // lists show, then their first segments (see refine).
    // A driver's membership is loaded at once when small, or when the
    // first candidates (from the other words' lists) would be expected to
    // lack its word often enough to cost more in verifications than the
    // membership does (as if the words were independent: a word in half
    // the documents fails half of them). The words' first segments are
    // asked for in the same round.
    var cheap = [], drv = [], nd = m.docs;
    this.drv = drv;
    this.refineP = Promise.all(this.streams.map(function (s) { return E.segment(s.driver, 0); }));
    this.refineP.catch(function () {});
    this.streams.forEach(function (s) {
      var misses = PAGE * (1 - s.df / nd), cost = E.memberCost(s.driver);
      if (cost <= 4 * CHEAP || misses * E.checkCost() >= cost + REQUEST) cheap.push(s.driver);
      else self.lazy.push({ e: s.driver, into: drv, w: s.w });
    });
    (await Promise.all(cheap.map(function (e) { return E.members(e); })
      .concat(this.streams.map(function (s) { return s.ready(); }))))
      .slice(0, cheap.length).forEach(function (m) { drv.push(m); });
    this.allWords = function (d) {
      for (var i = 0; i < drv.length; i++) if (!has(drv[i], d)) return false;
      for (var k = 0; k < self.streams.length; k++) if (!self.streams[k].pass(d)) return false;
      return true;
    };
    this.primary = live.slice().sort(function (a, b) { return a.df - b.df; })[0];
    var firsts = this.streams.map(function (s) { return s.driver.top; });
    this.streams.forEach(function (s, k) {
      s.known = new Map();
      for (var i = 0; i < firsts[k].docs.length; i++) s.known.set(firsts[k].docs[i], firsts[k].cls[i]);
    });
    var pool = new Map();
    firsts.forEach(function (l) {
      for (var i = 0; i < l.docs.length; i++) {
        var d = l.docs[i];
        if (!pool.has(d) && self.filt(d)) pool.set(d, self.bound(d));
      }
    });
    this.pool = Array.from(pool, function (e) { return { doc: e[0], ub: e[1] }; })
      .sort(function (a, b) { return b.ub - a.ub || a.doc - b.doc; });
    this.poolAt = 0;
    return this;
  };

  // Loads the memberships that are worth their bytes, in one round trip.
  // The candidates that failed verification show, from their text, which
  // terms they lack: a membership that would have excluded `miss` of the
  // `tried` candidates verified so far would spare about miss / tried ×
  // `left` of the verifications still to come, each a chunk and a request.
  // Memberships are weighed greedily. A failure that a chosen membership
  // excludes no longer counts for a term that overlaps the chosen one in
  // the phrase (强科普 and 加强科 are missing together because they share
  // 强科), but still counts for a term apart from it: a document lacking
  // both 强科普 and 施建设 says that later candidates, which will hold
  // 强科普, may lack 施建设 too — loading it now spares a round of failures.
  Query.prototype.tighten = async function (left) {
    var E = this.E, per = left * E.checkCost() / Math.max(1, this.tried), fails = this.failed, pick = [];
    // whether a failure's lack of l's term is explained by a chosen term
    // that overlaps it in the same word
    var explained = function (rec, l) {
      for (var j = 0; j < pick.length; j++) {
        if (pick[j].w === l.w && overlap(l.w, pick[j].e.term, l.e.term) && !holds(rec, pick[j].e.term)) return true;
      }
      return false;
    };
    while (fails.length && this.lazy.length) {
      var best = -1, bestMiss = 0;
      for (var i = 0; i < this.lazy.length; i++) {
        var l = this.lazy[i];
        if (this.tier !== 1 && l.into === this.drv) continue; // (drivers: for the first tier)
        var miss = 0;
        for (var k = 0; k < fails.length; k++) if (!holds(fails[k], l.e.term) && !explained(fails[k], l)) miss++;
        if (miss && (best < 0 || miss / E.memberCost(l.e) > bestMiss / E.memberCost(this.lazy[best].e))) {
          best = i;
          bestMiss = miss;
        }
      }
      if (best < 0 || bestMiss * per < E.memberCost(this.lazy[best].e) + REQUEST) break;
      pick.push(this.lazy.splice(best, 1)[0]);
    }
    // the failures no chosen membership excludes
    var rest = fails.filter(function (rec) {
      return pick.every(function (l) { return holds(rec, l.e.term); });
    });
    this.tried -= fails.length - rest.length;
    this.failed = rest;
    if (!pick.length) return;
    var mems = await Promise.all(pick.map(function (l) { return E.members(l.e); }));
    pick.forEach(function (l, i) { l.into.push(mems[i]); });
  };

  // Whether two terms of a word share characters where they stand in it.
  function overlap(w, a, b) {
    var i = w.n.indexOf(a), j = w.n.indexOf(b);
    return i >= 0 && j >= 0 && i < j + b.length && j < i + a.length;
  }

  // The first segments of the words' lists: more documents whose classes
  // are known, lower frontiers, and so tighter bounds (a word's frontier
  // from its top is the class its list has reached there).
  Query.prototype.refine = async function () {
    var firsts = await this.refineP, self = this, pool = new Map();
    this.refineP = null;
    this.streams.forEach(function (s, k) {
      for (var i = 0; i < firsts[k].docs.length; i++) s.known.set(firsts[k].docs[i], firsts[k].cls[i]);
      s.frontier = s.driver.list || s.driver.segs.length === 1 ? 0 : s.driver.segs[1].top;
    });
    firsts.forEach(function (l) {
      for (var i = 0; i < l.docs.length; i++) {
        var d = l.docs[i];
        if (!pool.has(d) && !self.seen.has(d) && self.filt(d)) pool.set(d, self.bound(d));
      }
    });
    this.pool = Array.from(pool, function (e) { return { doc: e[0], ub: e[1] }; })
      .sort(function (a, b) { return b.ub - a.ub || a.doc - b.doc; });
    this.poolAt = 0;
  };

  // Upper bound of the score of a document holding every word: the class
  // seen in the top of a word's list, or that word's frontier.
  Query.prototype.bound = function (d, primaryUb) {
    var sum = 0;
    for (var k = 0; k < this.streams.length; k++) {
      var s = this.streams[k], c = s.known.get(d);
      if (s === this.primary && primaryUb !== undefined) c = primaryUb;
      sum += c !== undefined ? c : s.frontier;
    }
    return sum;
  };

  Query.prototype.skipPool = function () {
    while (this.poolAt < this.pool.length &&
           (this.seen.has(this.pool[this.poolAt].doc) || !this.allWords(this.pool[this.poolAt].doc))) this.poolAt++;
  };

  // Verifies candidates: loads their documents and scores every word. The
  // candidates that lack a word (for several words, in the first tier: any
  // word) are kept in this.failed, for tighten.
  Query.prototype.verify = async function (cands) {
    var E = this.E, words = this.words, recs = await Promise.all(cands.map(function (c) { return E.doc(c.doc); }));
    var out = [], want = this.tier === 1 ? words.length : 1;
    for (var i = 0; i < recs.length; i++) {
      var m = 0, score = 0;
      for (var k = 0; k < words.length; k++) {
        var c = wordClass(recs[i], words[k]);
        if (c >= 0) { m++; score += c; }
      }
      if (m) out.push({ doc: cands[i].doc, rec: recs[i], m: m, score: score });
      if (m >= want) this.matched++;
      else this.failed.push(recs[i]);
    }
    this.checked += cands.length;
    this.tried += cands.length;
    return out;
  };

  var BATCH = 12;

  // The share of candidates that hold the words, as far as verification
  // has shown: on the low side (less one standard error), at least 1/16.
  Query.prototype.share = function () {
    if (!this.tried) return 1;
    var p = this.matched / this.tried;
    return Math.max(1 / 16, p - Math.sqrt(p * (1 - p) / this.tried));
  };

  // How many candidates to verify next: what the page still needs, less
  // what is verified and waiting, divided by the share of candidates that
  // hold the words; at least 4 (a few more lower the bound that keeps the
  // waiting ones from being given), at most 12 a round trip at first and
  // 24 once candidates are seen to fail, never past the page's limit; 256
  // when all results are wanted.
  Query.prototype.batchSize = function (need, verified, limit) {
    if (!isFinite(need)) return 256;
    var want = need - this.waiting(), most = this.tried > this.matched ? 2 * BATCH : BATCH;
    want = Math.ceil(want / this.share());
    return Math.max(1, Math.min(limit - verified, Math.max(4, Math.min(most, want))));
  };

  // Verified results waiting to be given (in the first tier of several
  // words, those holding them all).
  Query.prototype.waiting = function () {
    if (this.tier !== 1 || this.words.length < 2) return this.heap.size;
    var nw = this.words.length;
    return this.heap.a.filter(function (r) { return r.m === nw; }).length;
  };

  // The verifications this page may still make: enough, at the share of
  // candidates that held the words so far, for the results it still needs.
  Query.prototype.left = function (need, verified, limit) {
    return Math.min(limit - verified, Math.ceil(Math.max(0, need - this.waiting()) / this.share()));
  };

  // A narrow filter (at most 4 × NARROW documents: a plan, a small body or
  // kind) and a common word: rather than read the word's list until enough
  // of it passes the filter, the documents that pass the filter and hold the
  // word's rarest term (its membership) are listed, and when they are no
  // more than NARROW, verified all at once: their order is then exact.
  var NARROW = 24;
  Query.prototype.narrowed = async function (s) {
    if (this.allowed === 0) return [];
    if (this.allowed > 4 * NARROW || !(this.allowed * 4 < s.df) || s.driver.list || s.driver.segs.length < 2) return null;
    var E = this.E, nd = E.man.docs, mem = await E.members(s.driver);
    await s.ready();
    var lo = this.range ? this.range[0] : 0, hi = this.range ? this.range[1] : nd, out = [];
    for (var d = lo; d < hi; d++) {
      if (!has(mem, d) || !s.pass(d)) continue;
      if (out.length === NARROW) return null;
      out.push(d);
    }
    return out;
  };

  Query.prototype.nextNarrow = async function (n) {
    if (!this.narrowDone) {
      this.narrowDone = true;
      var res = await this.verify(this.narrow.map(function (d) { return { doc: d }; }));
      for (var i = 0; i < res.length; i++) this.heap.push(res[i]);
      this.exhausted = true;
    }
    var out = [];
    while (out.length < n && this.heap.size) out.push(this.heap.pop());
    return out;
  };

  Query.prototype.nextSingle = async function (n, cap, limit) {
    var s = this.streams[0], out = [], verified = 0;
    if (this.narrow === undefined) this.narrow = this.given || this.heap.size ? null : await this.narrowed(s);
    if (this.narrow) return this.nextNarrow(n);
    while (out.length < n) {
      var nx = await streamPeek(s), top = this.heap.peek();
      if (top && (!nx || verified >= cap || !better({ m: 1, score: nx.ub, doc: nx.doc }, top))) {
        out.push(this.heap.pop());
        continue;
      }
      if (!nx) { this.exhausted = true; break; }
      if (this.words[0].exact) {
        // one term, the whole word: the index's class is the document's
        s.cursor.advance();
        out.push({ doc: nx.doc, m: 1, score: nx.ub });
        continue;
      }
      if (verified >= limit) { this.paused = true; break; }
      if (this.checked && s.memP) {
        await s.ready();
        continue; // (the next candidate may be filtered out now)
      }
      var batch = [], want = this.batchSize(n - out.length, verified, limit);
      while (batch.length < want && nx) {
        batch.push(nx);
        s.cursor.advance();
        nx = await streamPeek(s);
      }
      verified += batch.length;
      var res = await this.verify(batch);
      for (var i = 0; i < res.length; i++) this.heap.push(res[i]);
      if (res.length < batch.length) {
        // False candidates: the driver's first segment if the next batch
        // runs past the top of its list, and its second when that is small
        // (the memberships loaded now may pass few of the first's 112 more
        // candidates: 加强科普设施建设 read the second a round later);
        // memberships of more terms of the phrase, if worth it (all in one
        // round trip).
        if (s.cursor.nearEnd(this.batchSize(n - out.length, verified, limit))) {
          this.E.segment(s.driver, 0).catch(function () {});
          var segs = s.driver.segs;
          if (segs && segs.length > 1 && segs[1].bytes <= CHEAP) this.E.segment(s.driver, 1).catch(function () {});
        }
        await this.tighten(this.left(n - out.length, verified, limit));
      }
    }
    return out;
  };

  Query.prototype.nextMulti = async function (n, cap, limit) {
    var out = [], verified = 0, nw = this.words.length, self = this;
    var seen = function (d) { return self.seen.has(d); };
    while (out.length < n) {
      var top = this.heap.peek();
      if (this.tier === 1) {
        if (this.refineP && this.checked) {
          await this.refine();
          continue;
        }
        this.skipPool();
        var pc = this.poolAt < this.pool.length ? this.pool[this.poolAt] : null;
        var p = this.primary, nx = await streamPeek(p, seen);
        while (nx && !this.allWords(nx.doc)) { p.cursor.advance(); nx = await streamPeek(p, seen); }
        // any document after nx in the primary's list scores at most this
        var pb = nx ? this.bound(-1, nx.ub) : -1;
        var bound = Math.max(pc ? pc.ub : -1, pb);
        if (top && top.m === nw && (bound < 0 || verified >= cap || top.score >= bound)) {
          out.push(this.heap.pop());
          continue;
        }
        if (bound < 0) { this.tier = 2; continue; }
        if (verified >= limit) { this.paused = true; break; }
        var batch = [], want = this.batchSize(n - out.length, verified, limit);
        while (batch.length < want) {
          this.skipPool();
          pc = this.poolAt < this.pool.length ? this.pool[this.poolAt] : null;
          nx = await streamPeek(p, seen);
          while (nx && !this.allWords(nx.doc)) { p.cursor.advance(); nx = await streamPeek(p, seen); }
          pb = nx ? this.bound(-1, nx.ub) : -1;
          var take = pc && (!nx || pc.ub >= pb) ? pc : nx;
          if (!take) break;
          batch.push(take);
          this.seen.add(take.doc);
        }
        verified += batch.length;
        var full = this.matched, res = await this.verify(batch);
        for (var i = 0; i < res.length; i++) this.heap.push(res[i]);
        if (this.matched - full < batch.length) await this.tighten(this.left(n - out.length, verified, limit));
        continue;
      }
      // Then the documents holding some of the words, from every word's list
      // (the bound here is one word's class: a heuristic for two or more).
      var best = null, bs = null;
      for (var k = 0; k < this.streams.length; k++) {
        var s = this.streams[k];
        if (s.empty) continue;
        var c = await streamPeek(s, seen);
        if (c && (!best || c.ub > best.ub || (c.ub === best.ub && c.doc < best.doc))) { best = c; bs = s; }
      }
      if (top && (!best || verified >= cap || !better({ m: 1, score: best.ub, doc: best.doc }, top))) {
        out.push(this.heap.pop());
        continue;
      }
      if (!best) { this.exhausted = true; break; }
      if (verified >= limit) { this.paused = true; break; }
      var b2 = [];
      while (best && b2.length < BATCH) {
        b2.push(best);
        this.seen.add(best.doc);
        bs.cursor.advance();
        best = await streamPeek(bs, seen);
      }
      verified += b2.length;
      var r2 = await this.verify(b2);
      for (var j = 0; j < r2.length; j++) this.heap.push(r2[j]);
    }
    return out.map(function (r) { r.partial = r.m < nw; return r; });
  };

  Query.prototype.nextBrowse = async function (n) {
    var out = [];
    var be = this.bodyEntry;
    if (be && !this.range) {
      // documents of a body: its list, in document order
      if (!this.bodyDocs) {
        var nseg = be.list ? 1 : be.segs.length, all = [];
        for (var i = 0; i < nseg; i++) all = all.concat(Array.from((await this.E.segment(be, i)).docs));
        this.bodyDocs = all.sort(function (a, b) { return a - b; });
        this.bodyAt = 0;
      }
      while (out.length < n && this.bodyAt < this.bodyDocs.length) {
        var d = this.bodyDocs[this.bodyAt++];
        if (this.filt(d)) out.push({ doc: d, m: 0, score: 0 });
      }
      if (this.bodyAt >= this.bodyDocs.length) this.exhausted = true;
      return out;
    }
    while (out.length < n && this.browseAt < this.browseEnd) {
      var d2 = this.browseAt++;
      if (this.filt(d2)) out.push({ doc: d2, m: 0, score: 0 });
    }
    if (this.browseAt >= this.browseEnd) this.exhausted = true;
    return out;
  };

  // The next n results (Infinity: all of them), each with its document.
  // A page verifies `cap` candidates before it gives results in the order
  // known so far, and at most `limit` in all (then `paused` is set and the
  // next call goes on): the bytes a page loads stay bounded even when a
  // phrase's parts are common and the phrase is rare.
  Query.prototype.next = async function (n, progressive) {
    if (this.exhausted && !this.heap.size) return [];
    var cap = isFinite(n) ? n + 4 : Infinity, limit = isFinite(n) ? Math.max(36, 3 * n) : Infinity;
    var res;
    this.paused = false;
    if (this.browse) res = await this.nextBrowse(n);
    else if (this.exhausted) res = [];
    else if (this.streams.length === 1) res = await this.nextSingle(n, cap, limit);
    else res = await this.nextMulti(n, cap, limit);
    if (this.exhausted && this.heap.size) {
      while (res.length < n && this.heap.size) res.push(this.heap.pop());
    }
    var E = this.E;
    if (this.records !== false) {
      // every record is asked for at once; with `progressive` the caller
      // takes each one (r.recP) as it comes, in order
      var ps = res.map(function (r) {
        if (r.rec) return r;
        r.recP = E.doc(r.doc).then(function (rec) { r.rec = rec; return rec; });
        r.recP.catch(function () {}); // (awaited below or by the caller)
        return r.recP;
      });
      if (!progressive) await Promise.all(ps);
    }
    this.given += res.length;
    if (this.exhausted && !this.heap.size) this.total = this.given;
    return res;
  };

  // ---- showing results ------------------------------------------------------

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.appendChild(document.createTextNode(text));
    return e;
  }

  // Spans [start, end) of the original text where any word stands.
  function spans(norm, words) {
    var out = [];
    words.forEach(function (w) {
      if (!w.n) return;
      for (var i = norm.s.indexOf(w.n); i >= 0; i = norm.s.indexOf(w.n, i + 1)) {
        out.push([norm.map[i], norm.ends[i + w.n.length - 1]]);
      }
    });
    out.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var merged = [];
    out.forEach(function (s) {
      var last = merged[merged.length - 1];
      if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
      else merged.push([s[0], s[1]]);
    });
    return merged;
  }

  // Text nodes and <mark> elements: never HTML from the index.
  function marked(parent, text, from, to, sp) {
    var pos = from;
    sp.forEach(function (s) {
      var a = Math.max(s[0], from), b = Math.min(s[1], to);
      if (b <= a) return;
      if (a > pos) parent.appendChild(document.createTextNode(text.slice(pos, a)));
      parent.appendChild(el('mark', null, text.slice(a, b)));
      pos = b;
    });
    if (pos < to) parent.appendChild(document.createTextNode(text.slice(pos, to)));
  }

  var SNIPPET = 110;
  function safeCut(text, i) {
    var c = text.charCodeAt(i);
    return c >= 0xDC00 && c <= 0xDFFF ? i + 1 : i;
  }

  // A window of the text around its best match, the matches marked. When
  // only another name (an alias, a document number) matched, that is shown.
  function snippet(parent, rec, words) {
    var text = rec.text.replace(/\s+/g, ' ');
    var norm = normalize(text, true), sp = spans(norm, words);
    if (!sp.length && rec.alt) {
      var alt = rec.alt.replace(/\s+/g, ' '), asp = spans(normalize(alt, true), words);
      if (asp.length) { text = alt; sp = asp; }
    }
    var from = 0, to = Math.min(text.length, SNIPPET);
    if (sp.length) {
      // the window that holds the most matches, starting a little before
      // its first
      var bestAt = sp[0][0], bestN = 0;
      for (var i = 0; i < sp.length && i < 50; i++) {
        var n = 0;
        for (var j = i; j < sp.length && sp[j][1] <= sp[i][0] + SNIPPET - 20; j++) n++;
        if (n > bestN) { bestN = n; bestAt = sp[i][0]; }
      }
      from = safeCut(text, Math.max(0, bestAt - 24));
      to = Math.min(text.length, from + SNIPPET);
      if (to - from < SNIPPET) from = safeCut(text, Math.max(0, to - SNIPPET));
      to = safeCut(text, to);
    }
    // never cut a match in two
    sp.forEach(function (s) {
      if (s[0] < from && s[1] > from) from = s[0];
      if (s[0] < to && s[1] > to) to = s[1];
    });
    if (from > 0) parent.appendChild(document.createTextNode('…'));
    marked(parent, text, from, to, sp);
    if (to < text.length) parent.appendChild(document.createTextNode('…'));
  }

  // ---- the page ---------------------------------------------------------------

  function UI(app) {
    this.app = app;
    this.t = app.dataset;
    this.root = app.dataset.root || '../';
    this.E = new Engine(this.root + 'search/');
    this.form = app.querySelector('#search-form');
    this.input = app.querySelector('#search-q');
    this.status = app.querySelector('#search-status');
    this.list = app.querySelector('#search-results');
    this.more = app.querySelector('#search-more');
    this.moreText = this.more.textContent;
    this.details = app.querySelector('#search-filters');
    this.planSel = app.querySelector('#search-plan');
    this.bodySel = app.querySelector('#search-body');
    this.kinds = Array.prototype.slice.call(app.querySelectorAll('input[name=kind]'));
    this.run = 0;
    this.title = document.title; // the page's own: "Search - site"
    this.E.manifest().catch(function () {}); // small, and every query needs it
    this.bind();
  }

  UI.prototype.fmt = function (key, vars) {
    var s = this.t[key] || '';
    return s.replace(/\{(\w+)\}/g, function (m, k) { return vars && k in vars ? vars[k] : m; });
  };

  UI.prototype.filters = function () {
    return {
      kinds: this.kinds.filter(function (k) { return k.checked; }).map(function (k) { return k.value; }),
      plan: this.planSel && this.planSel.value || '',
      body: this.bodySel && this.bodySel.value || '',
    };
  };

  // Fills the plan and body lists (loaded when first wanted: a big site has
  // thousands of plans, which the first query should not have to load).
  UI.prototype.loadLists = function () {
    var self = this;
    if (this.listsP) return this.listsP;
    function fill(sel, rows) {
      if (!sel) return;
      var want = sel.value;
      Array.prototype.forEach.call(sel.querySelectorAll('option[data-placeholder]'), function (o) { o.remove(); });
      rows.forEach(function (r) {
        var o = document.createElement('option');
        o.value = r[0];
        o.textContent = r[1] || r[0];
        sel.appendChild(o);
      });
      sel.value = want;
    }
    this.listsP = Promise.all([this.E.plans(), this.E.bodies()]).then(function (v) {
      fill(self.planSel, v[0]);
      fill(self.bodySel, v[1].slice().sort(function (a, b) { return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0; }));
    });
    this.listsP.catch(function () { self.listsP = null; });
    return this.listsP;
  };

  UI.prototype.bind = function () {
    var self = this, timer = null;
    this.fromURL();
    var header = document.getElementById('site-search-q');
    if (header && !header.value) header.value = this.input.value;

    this.form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      clearTimeout(timer);
      self.search(true);
    });
    this.input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.search(false); }, 180);
    });
    this.kinds.forEach(function (k) { k.addEventListener('change', function () { self.search(true); }); });
    [this.planSel, this.bodySel].forEach(function (sel) {
      if (!sel) return;
      sel.addEventListener('change', function () { self.search(true); });
      ['focus', 'pointerdown', 'keydown'].forEach(function (ev) {
        sel.addEventListener(ev, function () { self.loadLists(); });
      });
    });
    if (this.details) {
      this.details.addEventListener('toggle', function () {
        if (self.openedByLink) {
          self.openedByLink = false; // (the toggle of the link's own opening)
          return;
        }
        if (self.details.open) self.loadLists();
      });
    }
    this.more.addEventListener('click', function () { self.showMore(true); });

    // Keyboard: arrows move between the input and the results; Escape goes
    // back to the input; "/" focuses it from anywhere on the page.
    this.input.addEventListener('keydown', function (ev) {
      if (ev.key === 'ArrowDown') {
        var first = self.list.querySelector('a');
        if (first) { ev.preventDefault(); first.focus(); }
      }
    });
    this.list.addEventListener('keydown', function (ev) {
      var links = Array.prototype.slice.call(self.list.querySelectorAll('a'));
      var i = links.indexOf(document.activeElement);
      if (i < 0) return;
      var to = null;
      if (ev.key === 'ArrowDown') to = links[i + 1] || (self.more.hidden ? null : self.more);
      else if (ev.key === 'ArrowUp') to = i > 0 ? links[i - 1] : self.input;
      else if (ev.key === 'Home') to = links[0];
      else if (ev.key === 'End') to = links[links.length - 1];
      else if (ev.key === 'Escape') to = self.input;
      if (to) { ev.preventDefault(); to.focus(); }
    });
    document.addEventListener('keydown', function (ev) {
      var tag = (ev.target && ev.target.tagName) || '';
      if (ev.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(tag) && !ev.target.isContentEditable) {
        ev.preventDefault();
        self.input.focus();
        self.input.select();
      }
    });
    window.addEventListener('popstate', function () {
      self.fromURL();
      self.search(false, true);
    });
    this.search(false, true);
  };

  // The query and filters of the page's URL into the form.
  UI.prototype.fromURL = function () {
    var params = new URLSearchParams(location.search);
    this.input.value = params.get('q') || '';
    var kinds = params.getAll('kind').join(',').split(',').filter(Boolean);
    this.kinds.forEach(function (k) { k.checked = kinds.indexOf(k.value) >= 0; });
    var plan = params.get('plan') || '', body = params.get('body') || '';
    function want(sel, v) {
      if (!sel) return;
      if (v && !Array.prototype.some.call(sel.options, function (o) { return o.value === v; })) {
        var o = document.createElement('option');
        o.value = v;
        o.textContent = v;
        o.dataset.placeholder = '1';
        sel.appendChild(o);
      }
      sel.value = v;
    }
    want(this.planSel, plan);
    want(this.bodySel, body);
    if (kinds.length || plan || body) {
      // The panel opens on the filters of the link; the lists of every plan
      // and body load when the reader turns to them (a site of thousands of
      // plans has a long list): the chosen ones are named from small files.
      if (this.details && !this.details.open) {
        this.openedByLink = true;
        this.details.open = true;
      }
      this.nameChosen(plan, body);
    }
  };

  // Names the plan and body of a link in their lists before the lists load.
  UI.prototype.nameChosen = function (plan, body) {
    var self = this;
    function label(sel, v, name) {
      if (!sel || !name) return;
      Array.prototype.forEach.call(sel.options, function (o) {
        if (o.dataset.placeholder && o.value === v) o.textContent = name;
      });
    }
    if (plan) this.E.plan(plan).then(function (r) { label(self.planSel, plan, r && r[1]); }, function () {});
    if (body) {
      this.E.bodies().then(function (rows) {
        for (var i = 0; i < rows.length; i++) if (rows[i][0] === body) label(self.bodySel, body, rows[i][1]);
      }, function () {});
    }
  };

  UI.prototype.updateURL = function (push) {
    var f = this.filters(), p = new URLSearchParams();
    if (this.input.value.trim()) p.set('q', this.input.value.trim());
    if (f.kinds.length) p.set('kind', f.kinds.join(','));
    if (f.plan) p.set('plan', f.plan);
    if (f.body) p.set('body', f.body);
    var qs = p.toString(), url = location.pathname + (qs ? '?' + qs : '');
    if (url === location.pathname + location.search) return;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  };

  UI.prototype.say = function (text) {
    this.status.textContent = text;
  };

  // Runs the query in the input; resolves when its first results are shown.
  UI.prototype.search = async function (push, fromURL) {
    var run = ++this.run, self = this, t0 = performance.now();
    this.t0 = t0;
    this.firstTime = null;
    if (!fromURL) this.updateURL(push);
    var q = this.input.value, f = this.filters();
    // the title says what was searched for: "“q” results - Search - site"
    document.title = q.trim() ? this.fmt('titleQuery', { q: q.trim() }) + (this.t.titleSep || ' - ') +
      this.title : this.title;
    this.list.textContent = '';
    this.more.hidden = true;
    this.query = null;
    if (!q.trim() && !f.kinds.length && !f.plan && !f.body) {
      this.say(this.t.prompt || '');
      this.app.dataset.state = 'idle';
      return;
    }
    this.app.dataset.state = 'busy';
    this.say(this.t.loading || '');
    try {
      var query = new Query(this.E, q, f);
      await query.init();
      if (run !== this.run) return;
      this.query = query;
      this.partialShown = false;
      await this.showMore(false, run);
      if (run !== this.run) return;
      this.lastTime = performance.now() - t0;
    } catch (err) {
      if (run !== this.run) return;
      this.say(this.fmt('error', { error: err.message }));
      this.app.dataset.state = 'error';
      if (window.console) console.error(err);
    }
  };

  var PAGE = 10;

  UI.prototype.showMore = async function (fromButton, run) {
    var query = this.query, self = this;
    run = run || this.run;
    if (!query) return;
    this.more.disabled = true;
    var firstNew = null;
    var res = await query.next(PAGE, true);
    if (run !== this.run) return;
    // Each result is shown as soon as its record and those of the results
    // above it are in (they were all asked for at once): on a slow
    // connection the first results do not wait for the last.
    for (var i = 0; i < res.length; i++) {
      var r = res[i];
      if (!r.rec) {
        await r.recP;
        if (run !== this.run) return;
      }
      var frag = document.createDocumentFragment();
      if (r.partial && !self.partialShown) {
        self.partialShown = true;
        frag.appendChild(el('li', 'search-partial', self.t.partial || ''));
      }
      var li = el('li', 'search-item');
      var a = el('a', 'search-result');
      a.href = self.root + r.rec.url;
      var meta = el('span', 'search-meta');
      var kind = r.rec.kind;
      meta.appendChild(el('span', 'search-kind search-kind-' + kind, self.t['kind' + kind[0].toUpperCase() + kind.slice(1)] || kind));
      if (r.rec.plan && kind !== 'plan') meta.appendChild(el('span', 'search-plan', r.rec.plan[1]));
      a.appendChild(meta);
      var title = el('span', 'search-title');
      var tn = normalize(r.rec.title, true);
      marked(title, r.rec.title, 0, r.rec.title.length, spans(tn, query.words));
      a.appendChild(title);
      if (r.rec.text) {
        var sn = el('span', 'search-snippet');
        snippet(sn, r.rec, query.words);
        a.appendChild(sn);
      }
      li.appendChild(a);
      frag.appendChild(li);
      this.list.appendChild(frag);
      if (!firstNew) {
        firstNew = a;
        if (!fromButton) this.firstTime = performance.now() - this.t0;
        else a.focus(); // ("more" by keyboard: on to the first new result, as it comes)
      }
    }
    var shown = this.list.querySelectorAll('a.search-result').length;
    var done = query.exhausted && !query.heap.size;
    this.more.hidden = done;
    this.more.disabled = false;
    this.more.textContent = !shown && !done ? this.t.continue || this.t.more : this.moreText;
    if (!shown && !done) this.say(this.fmt('paused', { n: query.checked, q: query.q.trim() }));
    else if (!shown) this.say(this.fmt('none', { q: query.q.trim() }));
    else if (query.total !== null) this.say(this.fmt('count', { n: query.total }));
    else this.say(this.fmt('shown', { n: shown }));
    this.app.dataset.state = shown ? 'results' : done ? 'none' : 'paused';
  };

  // ---- start ----------------------------------------------------------------

  var api = {
    normalize: normalize, termsOf: termsOf, parseQuery: parseQuery, rankClass: rankClass, fnv1a: fnv1a,
    Engine: Engine, Query: Query,
  };
  function start() {
    var app = document.getElementById('search-app');
    if (!app) return;
    var ui = new UI(app);
    api.ui = ui;
    api.engine = ui.E;
    // All results of a query, in order, as plain objects (for tests and
    // benchmarks; with {records: false} only what ranking needed is loaded).
    api.all = async function (q, filters, opts) {
      var query = new Query(ui.E, q, filters);
      query.records = !(opts && opts.records === false);
      await query.init();
      var out = [];
      for (;;) {
        var r = await query.next(Infinity);
        if (!r.length) break;
        out = out.concat(r);
      }
      return out.map(function (r) {
        return r.rec ? { url: r.rec.url, kind: r.rec.kind, title: r.rec.title, m: r.m, score: r.score, doc: r.doc }
          : { m: r.m, score: r.score, doc: r.doc };
      });
    };
    // Types a query into the page and resolves when its results are shown.
    api.run = function (q) {
      ui.input.value = q;
      return ui.search(false).then(function () { return ui.lastTime; });
    };
  }
  window.planpressSearch = api;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
