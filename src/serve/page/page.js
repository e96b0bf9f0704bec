// dualstream serve's debugging page: the stream live from /events, a
// reconnect indicator, and a per-source sequence check. No external
// assets, no inline script (CSP: script-src 'self'). Everything shown is
// set as text, never parsed as HTML.
//
// Checks, both counted in the DOM (#received, #gaps, #missing,
// #duplicates, … and all of them as JSON in #stats[data-json]):
//  * per partition, offsets only grow: an offset seen again is a duplicate;
//  * per source (the `source` field, default source_id, else the channel),
//    the sequence field (`seq`, default "seq"; a dotted path into the
//    notification, or into the event with ?full=1; a string counts by the
//    number it ends with, so `?seq=id` checks ids like "s3-17") goes up by
//    one: a jump is a gap (its size counted as missing), a number seen
//    again or lower is a duplicate.
(function () {
  'use strict';
  var q = new URLSearchParams(location.search);
  var seqField = q.get('seq') || 'seq';
  var sourceField = q.get('source') || 'source_id';
  var keep = Math.max(1, Math.min(Number(q.get('keep')) || 200, 5000));
  var ask = new URLSearchParams();
  q.forEach(function (v, k) {
    // access_token: for a server with --auth (EventSource sends no header).
    if (['pattern', 'filter', 'from', 'full', 'last_event_id', 'access_token'].indexOf(k) >= 0) ask.append(k, v);
  });

  var $ = function (id) { return document.getElementById(id); };
  var counts = { received: 0, reconnects: 0, gaps: 0, missing: 0, duplicates: 0, resets: 0, overflows: 0, errors: 0 };
  var sources = new Map();
  var offsets = new Map();
  var opened = false;

  function show() {
    Object.keys(counts).forEach(function (k) {
      var el = $(k);
      el.textContent = String(counts[k]);
      var bad = (k === 'gaps' || k === 'missing' || k === 'duplicates' || k === 'errors') && counts[k] > 0;
      el.classList.toggle('bad', bad);
    });
    $('stats').dataset.json = JSON.stringify(counts);
  }

  function state(s) {
    var el = $('status');
    el.dataset.state = s;
    el.textContent = s;
  }

  function log(text, cls) {
    var li = document.createElement('li');
    li.textContent = text;
    if (cls) li.className = cls;
    var list = $('log');
    list.insertBefore(li, list.firstChild);
    while (list.childNodes.length > keep) list.removeChild(list.lastChild);
  }

  function field(obj, path) {
    var v = obj;
    path.split('.').forEach(function (part) {
      v = v !== null && typeof v === 'object' ? v[part] : undefined;
    });
    return v;
  }

  // A number, or the number a string ends with ("s3-17": 17).
  function sequence(v) {
    if (typeof v === 'number') return v;
    var m = typeof v === 'string' ? /(\d+)$/.exec(v) : null;
    return m ? Number(m[1]) : NaN;
  }

  // At most this many sources get a row; the rest share one.
  var MOST_SOURCES = 2000;

  function source(name) {
    if (!sources.has(name) && sources.size >= MOST_SOURCES) name = '(more sources)';
    var s = sources.get(name);
    if (!s) {
      var row = document.createElement('tr');
      for (var i = 0; i < 6; i++) row.appendChild(document.createElement('td'));
      row.cells[0].textContent = name;
      $('sources').appendChild(row);
      // The shared row checks no sequence: its events are of many sources.
      s = { count: 0, last: null, gaps: 0, missing: 0, duplicates: 0, row: row, shared: name === '(more sources)' };
      sources.set(name, s);
    }
    return s;
  }

  function paint(s) {
    var c = s.row.cells;
    c[1].textContent = String(s.count);
    c[2].textContent = s.last === null ? '' : String(s.last);
    c[3].textContent = String(s.gaps);
    c[4].textContent = String(s.missing);
    c[5].textContent = String(s.duplicates);
    s.row.classList.toggle('bad', s.gaps > 0 || s.duplicates > 0);
  }

  function onEvent(e) {
    var ev;
    try { ev = JSON.parse(e.data); } catch (err) { log('not JSON: ' + e.data, 'bad'); return; }
    counts.received++;
    var flags = [];
    if (typeof ev.partition === 'number' && typeof ev.offset === 'number') {
      var before = offsets.get(ev.partition);
      if (before !== undefined && ev.offset <= before) {
        counts.duplicates++;
        flags.push('offset ' + ev.offset + ' again (after ' + before + ')');
      } else {
        offsets.set(ev.partition, ev.offset);
      }
    }
    var data = ev.data;
    var name = field(data, sourceField);
    if (name === undefined || name === null) name = ev.channel;
    var s = source(String(name));
    s.count++;
    var seq = sequence(field(data, seqField));
    if (Number.isFinite(seq) && !s.shared) {
      if (s.last !== null && seq <= s.last) {
        s.duplicates++;
        counts.duplicates++;
        flags.push('sequence ' + seq + ' after ' + s.last);
      } else {
        if (s.last !== null && seq > s.last + 1) {
          s.gaps++;
          s.missing += seq - s.last - 1;
          counts.gaps++;
          counts.missing += seq - s.last - 1;
          flags.push('gap: ' + (seq - s.last - 1) + ' missing before ' + seq);
        }
        s.last = seq;
      }
    }
    paint(s);
    log(ev.channel + ' ' + ev.partition + '@' + ev.offset + ' ' + JSON.stringify(data) +
      (flags.length ? '  <- ' + flags.join('; ') : ''), flags.length ? 'bad' : '');
    show();
  }

  function note(kind, e, counter) {
    if (counter) counts[counter]++;
    var reason = '';
    try { reason = JSON.parse(e.data).reason || ''; } catch (err) { reason = String(e.data || ''); }
    $('note').textContent = kind + ': ' + reason;
    log(kind + ': ' + reason, 'note');
    show();
  }

  $('seq-field').textContent = seqField;
  var shown = new URLSearchParams(ask);
  if (shown.has('access_token')) shown.set('access_token', '…');
  $('stream').textContent = 'events?' + shown.toString();
  show();
  var es = new EventSource('events?' + ask.toString());
  es.onopen = function () {
    if (opened) counts.reconnects++;
    opened = true;
    state('live');
    show();
  };
  es.onmessage = onEvent;
  // History gone: the sequences start again from where the log is now.
  es.addEventListener('reset', function (e) {
    sources.forEach(function (s) { s.last = null; });
    note('reset', e, 'resets');
  });
  es.addEventListener('overflow', function (e) { note('overflow', e, 'overflows'); });
  es.addEventListener('reconnect', function (e) { note('reconnect', e, null); });
  es.addEventListener('error', function (e) {
    if (e.data !== undefined) {
      // serve's own `event: error` (Kafka unreachable while resuming).
      note('error', e, 'errors');
      return;
    }
    state(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  });
})();
