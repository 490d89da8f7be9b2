(function () {
  var records = JSON.parse(document.getElementById('records-data').textContent);
  var shared = JSON.parse(document.getElementById('shared-data').textContent);
  records.forEach(function (r) { r.messages.forEach(function (m) {
    if (m.shared !== undefined) { m.content = shared[m.shared]; delete m.shared; } }); });
  var list = document.getElementById('rec-list'), conv = document.getElementById('conversation');
  var q = document.getElementById('rec-search'), fam = document.getElementById('rec-family');
  var st = document.getElementById('rec-status'), stage = document.getElementById('rec-stage');
  var count = document.getElementById('rec-count');
  var colors = JSON.parse(document.getElementById('palette-data').textContent);
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text; return e; }
  function fill(select, values) { values.forEach(function (v) { var o = el('option', null, v); o.value = v;
    select.appendChild(o); }); }
  function uniq(key) { var s = {}; records.forEach(function (r) { if (r[key]) s[r[key]] = 1; });
    return Object.keys(s).sort(); }
  fill(fam, uniq('family')); fill(st, uniq('status')); fill(stage, uniq('stage'));
  var byId = {}; records.forEach(function (r) { if (r.id && r.status !== 'rejected') byId[r.id] = r; });
  records.forEach(function (r) { r._text = JSON.stringify(r.messages).toLowerCase() + ' ' + (r.id || '') + ' ' +
    (r.reason || '').toLowerCase(); });
  function show(r, row) {
    Array.prototype.forEach.call(list.querySelectorAll('.sel'), function (x) { x.classList.remove('sel'); });
    if (row) row.classList.add('sel');
    conv.innerHTML = '';
    conv.appendChild(el('div', 'meta', r.family + ' · ' + r.status + (r.stage ? ' at ' + r.stage : '') + ' · ' + r.id +
      (r.tools && r.tools.length ? ' · tools: ' + r.tools.join(', ') : '')));
    if (r.reason) { var b = el('div', 'reason'); b.appendChild(el('b', null, 'rejected' + (r.stage ? ' at ' + r.stage : '') + ': '));
      b.appendChild(document.createTextNode(r.reason));
      var other = (r.reason.match(/\b[0-9a-f]{32}\b/) || [])[0];
      if (other && byId[other]) { var a = el('a', null, ' → show ' + other.slice(0, 8)); a.href = '#browser';
        a.onclick = function (e) { e.preventDefault(); show(byId[other], null); }; b.appendChild(a); }
      conv.appendChild(b); }
    r.messages.forEach(function (m) {
      var box = el('div', 'msg ' + m.role);
      box.appendChild(el('div', 'role', m.role + (m.name ? ' · ' + m.name : '') + (m.tool_call_id ? ' · ' + m.tool_call_id : '')));
      if (m.reasoning) { var d = el('details'); d.appendChild(el('summary', null, 'reasoning'));
        d.appendChild(el('pre', null, m.reasoning)); box.appendChild(d); }
      if (m.content && m.role === 'system') { var ds = el('details');
        ds.appendChild(el('summary', null, m.content.split('\n')[0].slice(0, 100) + ' … (' + m.content.length + ' characters)'));
        ds.appendChild(el('pre', null, m.content)); box.appendChild(ds); }
      else if (m.content) box.appendChild(el('pre', null, m.content));
      (m.tool_calls || []).forEach(function (c) { var cb = el('div', 'call');
        cb.appendChild(el('b', null, '→ ' + c.name + '  ')); cb.appendChild(el('span', 'meta', c.id || ''));
        var args = c.arguments; try { args = JSON.stringify(JSON.parse(args), null, 2); } catch (e) {}
        cb.appendChild(el('pre', null, args)); box.appendChild(cb); });
      conv.appendChild(box);
    });
    if (r.raw) { var dr = el('div', 'msg system'); dr.appendChild(el('div', 'role', 'raw line (did not parse)'));
      dr.appendChild(el('pre', null, r.raw)); conv.appendChild(dr); }
    var v = r.verification || {}, keys = Object.keys(v);
    if (keys.length) { var d2 = el('details'); d2.appendChild(el('summary', null, 'verification'));
      d2.appendChild(el('pre', null, JSON.stringify(v, null, 2))); conv.appendChild(d2); }
    if (r.lineage) { var d3 = el('details'); d3.appendChild(el('summary', null, 'lineage'));
      d3.appendChild(el('pre', null, JSON.stringify(r.lineage, null, 2))); conv.appendChild(d3); }
  }
  function refresh() {
    var needle = q.value.trim().toLowerCase(), hits = [];
    records.forEach(function (r) {
      if (fam.value && r.family !== fam.value) return;
      if (st.value && r.status !== st.value) return;
      if (stage.value && r.stage !== stage.value) return;
      if (needle && r._text.indexOf(needle) < 0) return;
      hits.push(r); });
    list.innerHTML = '';
    hits.slice(0, 300).forEach(function (r) {
      var row = el('div'); var tag = el('span', 'tag', r.family); tag.style.background = colors[r.family] || '#888';
      row.appendChild(tag);
      if (r.status === 'rejected') { var t2 = el('span', 'tag', r.stage || 'rejected'); t2.style.background = '#b3261e';
        row.appendChild(t2); }
      var first = r.messages.filter(function (m) { return m.role === 'user'; })[0];
      row.appendChild(document.createTextNode(((first && first.content) || r.id || '').slice(0, 90)));
      row.onclick = function () { show(r, row); }; list.appendChild(row); });
    count.textContent = hits.length + ' of ' + records.length + ' embedded records' + (hits.length > 300 ? ' (first 300 listed)' : '');
    if (hits.length) show(hits[0], list.firstChild); else conv.textContent = 'no record matches';
  }
  [q, fam, st, stage].forEach(function (c) { c.addEventListener('input', refresh); });
  refresh();
  // stats.html#record=<id> opens that record (links from notes, reports, issues)
  var wanted = decodeURIComponent((location.hash.match(/^#record=(.+)$/) || [])[1] || '');
  records.forEach(function (r) { if (wanted && r.id === wanted) show(r, null); });
  var marker = document.getElementById('render-marker');
  marker.setAttribute('data-plots', String(document.querySelectorAll('svg.plot').length));
  marker.setAttribute('data-records', String(records.length));
  marker.setAttribute('data-listed', String(list.children.length));
  marker.setAttribute('data-messages', String(conv.querySelectorAll('.msg').length));
  // headings wider than their box would be cut: the screenshot test wants none
  var clipped = Array.prototype.filter.call(document.querySelectorAll('.plot-title, .card h3, h2'),
    function (h) { return h.scrollWidth > h.clientWidth + 1; });
  marker.setAttribute('data-clipped', String(clipped.length));
  marker.textContent = 'rendered';
  document.documentElement.setAttribute('data-rendered', 'true');
})();
