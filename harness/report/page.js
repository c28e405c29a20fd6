/*
** page.js: draws the run report from the JSON the page carries (one
** <script type="application/json"> per scenario). Plain DOM and SVG, no
** libraries. The data is read defensively: a missing or odd field is
** skipped, never an exception. Any error that still happens is counted on
** <html data-page-errors> (and its text on data-page-error-text), which the
** tests read from the rendered DOM; data-rendered="yes" says the script ran
** to its end.
*/
(function () {
  'use strict';

  var root = document.documentElement;
  var SVGNS = 'http://www.w3.org/2000/svg';
  var errors = [];

  function recordError(msg) {
    errors.push(String(msg));
    root.setAttribute('data-page-errors', String(errors.length));
    root.setAttribute('data-page-error-text', errors.join(' | ').slice(0, 4000));
  }
  window.addEventListener('error', function (e) {
    recordError('error: ' + (e && e.message ? e.message : 'unknown'));
  });
  window.addEventListener('unhandledrejection', function (e) {
    recordError('unhandled rejection: ' + (e && e.reason ? e.reason : 'unknown'));
  });
  if (window.console && typeof console.error === 'function') {
    var consoleError = console.error;
    console.error = function () {
      recordError('console.error: ' + Array.prototype.join.call(arguments, ' '));
      consoleError.apply(console, arguments);
    };
  }

  /* ---- small helpers ---------------------------------------------------- */

  function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function str(v) { return typeof v === 'string' ? v : (v === null || v === undefined) ? '' : String(v); }
  function num(v) { return typeof v === 'number' && isFinite(v) ? v : null; }
  function arr(v) { return Array.isArray(v) ? v : []; }

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    arr(children).forEach(function (c) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* A relative href from path segments: each one encoded, so a name cannot escape the folder. */
  function href() {
    return Array.prototype.map.call(arguments, function (s) { return encodeURIComponent(str(s)); }).join('/');
  }

  function readJson(node) {
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      recordError('bad embedded data: ' + e.message);
      return null;
    }
  }

  /* ---- what a packet is, in words -------------------------------------- */

  /* Notifies in nearly every IKE_SA_INIT: naming them would hide the ones that tell something. */
  var ROUTINE_NOTIFY = ['NAT_DETECTION_SOURCE_IP', 'NAT_DETECTION_DESTINATION_IP', 'IKEV2_FRAGMENTATION_SUPPORTED',
    'SIGNATURE_HASH_ALGORITHMS', 'MULTIPLE_AUTH_SUPPORTED', 'REDIRECT_SUPPORTED', 'CHILDLESS_IKEV2_SUPPORTED',
    'ESP_TFC_PADDING_NOT_SUPPORTED', 'NON_FIRST_FRAGMENTS_ALSO'];
  var ICMP_TYPES = { 0: 'echo-reply', 3: 'dest-unreach', 8: 'echo-request', 11: 'time-exceeded' };

  function hex32(v) { return str(v).indexOf('0x') === 0 ? str(v) : '0x' + str(v); }

  function ports(p) {
    var s = num(p.sport), d = num(p.dport);
    if (s === null || d === null) return '';
    return s === d ? String(s) : s + '->' + d;
  }

  /* The ladder's label: "IKE_SA_INIT req 500->500", "ESP-in-UDP spi 0x.. 4500", "L2TP SCCRQ". */
  function describe(p) {
    if (!isObj(p)) return '?';
    var cls = str(p['class']), text;
    if (cls === 'ike') {
      var ike = isObj(p.ike) ? p.ike : {};
      text = str(ike.exchange || 'IKE') + ' ' + (ike.response ? 'resp' : 'req') + ' ' + str(p.sport) + '->' + str(p.dport);
      var frag = arr(p.ike_frag);
      if (frag.length === 2) text += ' frag ' + str(frag[0]) + '/' + str(frag[1]);
      var notify = arr(p.ike_notify).map(str).filter(function (n) { return ROUTINE_NOTIFY.indexOf(n) < 0; });
      if (notify.length) text += ' N(' + notify.join(',') + ')';
    } else if (cls === 'esp-udp') {
      text = 'ESP-in-UDP spi ' + hex32(isObj(p.esp) ? p.esp.spi : '') + ' ' + ports(p);
    } else if (cls === 'esp') {
      text = 'ESP spi ' + hex32(isObj(p.esp) ? p.esp.spi : '');
    } else if (cls === 'ah') {
      text = 'AH spi ' + hex32(isObj(p.ah) ? p.ah.spi : '');
    } else if (cls === 'keepalive') {
      text = 'keepalive';
    } else if (cls === 'l2tp') {
      var l2 = isObj(p.l2tp) ? p.l2tp : {};
      text = 'L2TP ' + (l2.control ? str(l2.type || 'control') : 'data');
      if (isObj(p.ppp)) text += ' PPP ' + str(p.ppp.protocol) + (p.ppp.code !== undefined ? ' ' + str(p.ppp.code) : '');
    } else if (cls === 'icmp') {
      text = 'ICMP ' + (ICMP_TYPES[p.icmp_type] || ('type ' + str(p.icmp_type)));
    } else if (cls === 'udp' || cls === 'tcp') {
      text = cls.toUpperCase() + ' ' + ports(p);
    } else if (cls === 'fragment') {
      text = 'IP fragment offset ' + str(p.offset);
    } else if (cls === 'non-ip') {
      text = 'non-IP';
    } else {
      text = cls || '?';
      if (p.proto !== undefined) text += ' proto ' + str(p.proto);
    }
    if (p.problem) text += ': ' + str(p.problem);
    /* The decrypted view; "no key" (the run knew no SA: userspace ESP) is the norm, not news. */
    if (isObj(p.inner) && p.inner.state === 'decrypted') text += ' [' + describe(p.inner) + ']';
    else if (isObj(p.inner) && p.inner.state !== 'no key') text += ' [' + str(p.inner.state) + ']';
    return text;
  }

  function colourClass(p) {
    var c = str(p['class']);
    return ['ike', 'esp', 'esp-udp', 'keepalive', 'l2tp', 'icmp'].indexOf(c) >= 0 ? 'c-' + c : 'c-other';
  }

  /* ---- who sent a frame to whom ---------------------------------------- */

  function ipOf(cidr) { return str(cidr).split('/')[0]; }

  function isGroupMac(mac) {
    var first = parseInt(str(mac).slice(0, 2), 16);
    return !isNaN(first) && (first & 1) === 1;
  }

  /* Columns from lab.json, neighbours next to each other (breadth first from the first host). */
  function labModel(lab) {
    var m = { columns: [], kind: {}, mac: {}, ip: {}, linkIp: {}, members: {} };
    var nodes = arr(lab.nodes).filter(isObj), links = arr(lab.links).filter(isObj);
    nodes.forEach(function (n) {
      var name = str(n.name);
      m.kind[name] = str(n.kind);
      arr(n.interfaces).filter(isObj).forEach(function (i) {
        if (i.mac) m.mac[str(i.mac).toLowerCase()] = name;
        arr(i.addresses).forEach(function (a) {
          m.ip[ipOf(a)] = name;
          m.linkIp[str(i.link) + '|' + ipOf(a)] = name;
        });
      });
    });
    links.forEach(function (l) { m.members[str(l.name)] = arr(l.members).map(str); });
    var start = nodes.filter(function (n) { return n.kind === 'host'; })[0] || nodes[0];
    var queue = start ? [str(start.name)] : [], seen = {};
    while (queue.length) {
      var n = queue.shift();
      if (seen[n]) continue;
      seen[n] = true;
      m.columns.push(n);
      links.forEach(function (l) {
        var mem = arr(l.members).map(str);
        if (mem.indexOf(n) >= 0) mem.forEach(function (o) { if (!seen[o]) queue.push(o); });
      });
    }
    nodes.forEach(function (n) { if (!seen[str(n.name)]) m.columns.push(str(n.name)); });
    return m;
  }

  /* from: one column name; to: a list (all the others on a broadcast). Fall back to IP addresses. */
  function endpoints(p, m) {
    var link = str(p.link), members = m.members[link] || [];
    var from = (p.eth_src && m.mac[str(p.eth_src).toLowerCase()]) ||
               m.linkIp[link + '|' + str(p.src)] || null;
    var to = [];
    if (p.eth_dst && isGroupMac(p.eth_dst)) {
      to = members.filter(function (n) { return n !== from; });
    } else {
      var t = (p.eth_dst && m.mac[str(p.eth_dst).toLowerCase()]) || m.linkIp[link + '|' + str(p.dst)];
      if (!t && members.length === 2 && from) t = members[0] === from ? members[1] : members[0];
      if (!t && p.dst) t = m.ip[str(p.dst)];
      if (t) to = [t];
    }
    if (!from && to.length === 1 && members.length === 2) from = members[0] === to[0] ? members[1] : members[0];
    if (!from && p.src) from = m.ip[str(p.src)] || null;
    return { from: from, to: to };
  }

  /* ---- NAT: the same packet before and after a router ----------------- */

  function identity(p) {
    var c = str(p['class']);
    if (c === 'ike' && isObj(p.ike)) return c + str(p.ike.ispi) + '/' + str(p.ike.msgid) + '/' + str(p.ike.response);
    if ((c === 'esp' || c === 'esp-udp') && isObj(p.esp)) return c + str(p.esp.spi) + '/' + str(p.esp.seq);
    if (c === 'icmp') return c + str(p.icmp_type) + '/' + str(p.icmp_code);
    return c + '/' + str(p.proto);
  }

  function endpointText(addr, port) { return port === undefined ? str(addr) : str(addr) + ':' + str(port); }

  /*
  ** A packet a router received on one link and sent on another within a
  ** second, same length and identity: when its addresses or ports changed,
  ** the later row gets "NAT a -> b" and a dashed mark joins the two rows.
  */
  function findNat(rows, m) {
    rows.forEach(function (r, i) {
      if (r.kind !== 'pkt' || r.to.length !== 1 || m.kind[r.to[0]] !== 'router' || !r.p.src) return;
      var router = r.to[0], t0 = num(r.p.t), id = identity(r.p);
      for (var j = i + 1; j < rows.length && j < i + 400; j++) {
        var q = rows[j];
        if (q.kind !== 'pkt') continue;
        if (t0 !== null && num(q.p.t) !== null && q.p.t - t0 > 1.0) break;
        if (q.natFrom !== undefined || q.from !== router || str(q.p.link) === str(r.p.link) ||
            q.p.len !== r.p.len || identity(q.p) !== id)
          continue;
        var changes = [];
        if (q.p.src !== r.p.src || q.p.sport !== r.p.sport)
          changes.push(endpointText(r.p.src, r.p.sport) + ' -> ' + endpointText(q.p.src, q.p.sport));
        if (q.p.dst !== r.p.dst || q.p.dport !== r.p.dport)
          changes.push(endpointText(r.p.dst, r.p.dport) + ' -> ' + endpointText(q.p.dst, q.p.dport));
        q.natFrom = i;
        q.nat = changes.length ? 'NAT ' + changes.join(', ') : '';
        return;
      }
    });
  }

  /* ---- the ladder ------------------------------------------------------- */

  var LEFT = 150, COL = 270, TOP = 46, ROW = 24;

  function buildRows(sc, m, columnOf) {
    var rows = [];
    arr(sc.timeline).forEach(function (p) {
      if (!isObj(p)) return;
      if (p.event !== undefined) {
        rows.push({ kind: 'event', p: p });
        return;
      }
      var e = m ? endpoints(p, m) : { from: p.src ? str(p.src) : '?', to: [p.dst ? str(p.dst) : '?'] };
      if (!e.from) e.from = '?';
      if (!e.to.length) e.to = ['?'];
      columnOf(e.from);
      e.to.forEach(columnOf);
      rows.push({ kind: 'pkt', p: p, from: e.from, to: e.to });
    });
    return rows;
  }

  function drawArrow(g, x1, x2, y) {
    if (x1 === x2) {   /* sender and receiver in one column (unknown ends): a stub */
      g.appendChild(svg('line', { 'class': 'arrow', x1: x1, y1: y, x2: x1 + 30, y2: y }));
      g.appendChild(svg('circle', { cx: x1 + 30, cy: y, r: 3 }));
      return;
    }
    var dir = x2 > x1 ? 1 : -1;
    g.appendChild(svg('line', { 'class': 'arrow', x1: x1, y1: y, x2: x2 - dir * 6, y2: y }));
    g.appendChild(svg('polygon', { points: [x2, y, x2 - dir * 9, y - 4, x2 - dir * 9, y + 4].join(' ') }));
  }

  function drawPacket(s, r, y, x) {
    var p = r.p, label = describe(p);
    var g = svg('g', { 'class': 'pkt ' + colourClass(p), 'data-link': str(p.link), 'data-frame': str(p.frame) });
    var t = num(p.t);
    g.appendChild(svg('title', {}, (t === null ? '?' : t.toFixed(6)) + ' s, ' + str(p.link) + ' frame ' +
      str(p.frame) + ': ' + str(p.src) + (p.sport !== undefined ? ':' + p.sport : '') + ' > ' +
      str(p.dst) + (p.dport !== undefined ? ':' + p.dport : '') + ', ' + label));
    g.appendChild(svg('text', { 'class': 'time', x: 6, y: y + 4 }, t === null ? '?' : t.toFixed(3)));
    g.appendChild(svg('text', { 'class': 'link', x: 70, y: y + 4 }, str(p.link)));
    var x1 = x(r.from), xs = r.to.map(x);
    xs.forEach(function (x2) { drawArrow(g, x1, x2, y); });
    var far = xs.reduce(function (a, b) { return Math.abs(b - x1) > Math.abs(a - x1) ? b : a; }, xs[0]);
    var mid = x1 === far ? x1 + 36 : (x1 + far) / 2;
    g.appendChild(svg('text', { 'class': 'label', x: mid, y: y - 4, 'text-anchor': x1 === far ? 'start' : 'middle' }, label));
    if (r.nat) {
      var right = Math.max(x1, far);
      g.appendChild(svg('text', { 'class': 'nat', x: right + 8, y: y + 4 }, r.nat));
    }
    s.appendChild(g);
  }

  function drawLadder(sc) {
    var m = isObj(sc.lab) ? labModel(sc.lab) : null;
    var columns = m ? m.columns.slice() : [];
    function columnOf(name) {
      if (columns.indexOf(name) < 0) columns.push(name);
    }
    var rows = buildRows(sc, m, columnOf);
    var npkts = rows.filter(function (r) { return r.kind === 'pkt'; }).length;
    if (npkts === 0 && rows.length === 0) return el('p', { 'class': 'note' }, ['No packets were captured.']);
    if (m) findNat(rows, m);
    function x(name) { return LEFT + 110 + columns.indexOf(name) * COL; }
    var width = LEFT + 110 + Math.max(columns.length - 1, 0) * COL + 330;
    var height = TOP + rows.length * ROW + 20;
    var s = svg('svg', { 'class': 'ladder', width: width, height: height, viewBox: '0 0 ' + width + ' ' + height });
    columns.forEach(function (c) {
      s.appendChild(svg('line', { 'class': 'lifeline', x1: x(c), y1: TOP - 12, x2: x(c), y2: height - 6 }));
      s.appendChild(svg('rect', { 'class': 'node-box', x: x(c) - 60, y: 6, width: 120, height: 24, rx: 4 }));
      s.appendChild(svg('text', { 'class': 'node-name', x: x(c), y: 23, 'text-anchor': 'middle' },
        c + (m && m.kind[c] === 'router' ? ' (router)' : '')));
    });
    s.appendChild(svg('text', { 'class': 'time', x: 6, y: 23 }, 'time s'));
    s.appendChild(svg('text', { 'class': 'link', x: 70, y: 23 }, 'link'));
    rows.forEach(function (r, i) {
      var y = TOP + i * ROW + ROW / 2;
      r.y = y;
      if (r.kind === 'event') {
        var g = svg('g', { 'class': 'event' });
        g.appendChild(svg('line', { x1: 4, y1: y, x2: width - 4, y2: y }));
        g.appendChild(svg('text', { x: LEFT + 4, y: y - 4 },
          'event at ' + (num(r.p.t) === null ? '?' : r.p.t.toFixed(3)) + ' s: ' + str(r.p.event)));
        s.appendChild(g);
      } else {
        drawPacket(s, r, y, x);
      }
    });
    rows.forEach(function (r) {   /* join each NAT pair at the router's column */
      if (r.natFrom === undefined || !r.nat) return;
      var before = rows[r.natFrom], cx = x(r.from);
      s.appendChild(svg('path', { 'class': 'nat-mark',
        d: 'M' + cx + ' ' + before.y + ' C' + (cx - 40) + ' ' + before.y + ' ' + (cx - 40) + ' ' + r.y + ' ' + cx + ' ' + r.y }));
    });
    return el('div', { 'class': 'ladder-wrap' }, [s]);
  }

  /* ---- a scenario's section -------------------------------------------- */

  function pointsList(sc) {
    var ul = el('ul', { 'class': 'points' });
    arr(sc.points).filter(isObj).forEach(function (pt) {
      var status = str(pt.status);
      var word = status === 'pass' ? 'ok' : status === 'skip' ? 'skip' : 'not ok';
      var li = el('li', { 'class': status }, [
        el('span', { 'class': 'badge ' + status }, [word]),
        str(pt.n) + ' - ' + str(pt.desc) + (pt.reason ? ' (' + str(pt.reason) + ')' : '')
      ]);
      if ((status === 'fail' || status === 'error') && pt.yaml) li.appendChild(el('pre', { 'class': 'diag' }, [str(pt.yaml)]));
      ul.appendChild(li);
    });
    return ul;
  }

  function scenarioSection(sc, i) {
    var status = str(sc.status) || 'passed';
    var sec = el('section', { 'class': 'scenario ' + status, id: 'scenario-' + i }, [
      el('h2', {}, [el('span', { 'class': 'badge ' + status }, [status]), str(sc.name)])
    ]);
    var meta = [];
    if (sc.backend) meta.push('backend ' + str(sc.backend));
    if (num(sc.seconds)) meta.push(sc.seconds.toFixed(2) + ' s');
    sec.appendChild(el('div', { 'class': 'meta' }, [meta.join(', ')]));
    sec.appendChild(pointsList(sc));
    if (sc.error) sec.appendChild(el('pre', { 'class': 'error-text' }, ['error.txt: ' + str(sc.error)]));
    if (sc.folder) {
      var pc = el('div', { 'class': 'pcaps' }, ['captures: ']);
      arr(sc.pcaps).forEach(function (f) { pc.appendChild(el('a', { href: href(sc.folder, f) }, [str(f)])); });
      pc.appendChild(el('a', { href: href(sc.folder, 'timeline.jsonl') }, ['timeline.jsonl']));
      sec.appendChild(pc);
    }
    var events = arr(sc.timeline).filter(function (p) { return isObj(p) && p.event !== undefined; });
    if (events.length) {
      var ul = el('ul', { 'class': 'events' });
      events.forEach(function (e) {
        ul.appendChild(el('li', {}, ['event at ' + (num(e.t) === null ? '?' : e.t.toFixed(3)) + ' s: ' + str(e.event)]));
      });
      sec.appendChild(ul);
    }
    if (num(sc.packets_total) !== null && sc.packets_total > sc.packets_shown)
      sec.appendChild(el('p', { 'class': 'note warn' }, ['The ladder shows the first ' + str(sc.packets_shown) +
        ' of ' + str(sc.packets_total) + ' packets; the pcaps and timeline.jsonl hold them all.']));
    if (num(sc.bad_lines))
      sec.appendChild(el('p', { 'class': 'note warn' }, [str(sc.bad_lines) + ' unreadable line(s) in timeline.jsonl were left out.']));
    if (Array.isArray(sc.timeline)) sec.appendChild(drawLadder(sc));
    return sec;
  }

  function summary(run, scenarios) {
    var counts = { passed: 0, failed: 0, error: 0, skipped: 0 };
    scenarios.forEach(function (sc) {
      var s = str(sc.status);
      if (Object.prototype.hasOwnProperty.call(counts, s)) counts[s]++;
    });
    var box = document.getElementById('summary');
    [['passed', 'passed'], ['failed', 'failed'], ['error', 'erred'], ['skipped', 'skipped']].forEach(function (k) {
      box.appendChild(el('span', { 'class': 'n-' + k[0] + (counts[k[0]] ? '' : ' zero') }, [counts[k[0]] + ' ' + k[1]]));
    });
    var ul = el('ul');
    scenarios.forEach(function (sc, i) {
      ul.appendChild(el('li', {}, [el('span', { 'class': 'badge ' + str(sc.status) }, [str(sc.status)]),
        el('a', { href: '#scenario-' + i }, [str(sc.name)])]));
    });
    arr(run.run_points).filter(isObj).forEach(function (pt) {
      ul.appendChild(el('li', {}, [el('span', { 'class': 'badge error' }, ['run']), str(pt.desc) + ' ' + str(pt.reason)]));
    });
    box.appendChild(ul);
    if (counts.failed || counts.error || arr(run.run_points).length) document.getElementById('top').style.background = '#82071e';
  }

  function main() {
    var runNode = document.getElementById('vpnlab-run');
    var run = (runNode && readJson(runNode)) || {};
    if (!isObj(run)) run = {};
    document.getElementById('run-name').textContent = str(run.run);
    var scenarios = [];
    Array.prototype.forEach.call(document.querySelectorAll('script.vpnlab-scenario'), function (node) {
      var sc = readJson(node);
      if (isObj(sc)) scenarios.push(sc);
    });
    summary(run, scenarios);
    var container = document.getElementById('scenarios');
    scenarios.forEach(function (sc, i) {
      try {
        container.appendChild(scenarioSection(sc, i));
      } catch (e) {   /* one scenario's odd data must not hide the others */
        recordError('scenario ' + str(sc.name) + ': ' + e.message);
        container.appendChild(el('p', { 'class': 'note warn' }, ['Could not draw ' + str(sc.name) + ': ' + e.message]));
      }
    });
    root.setAttribute('data-rendered', 'yes');
  }

  main();
}());
