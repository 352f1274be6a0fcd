// The script a flame graph SVG carries: hover details, click to zoom, search with highlight, reset.
// Plain ES5 that runs both in a standalone SVG document and in an SVG inlined in an HTML page; it
// finds its own <svg> from document.currentScript, so it never depends on global ids.
// The graph's frames are <g class="frame" data-x data-v data-d data-n> holding a <rect> and a <text>,
// with x and width in value units (data-x, data-v) so any zoom is a rescale.
// It must not contain the sequence "]]>" (it is wrapped in CDATA).
export const flameGraphScript = String.raw`
(function () {
  var script = document.currentScript;
  var svg = (script && script.ownerSVGElement) || document.querySelector('svg.flamegraph');
  if (!svg) return;
  var NS = 'http://www.w3.org/2000/svg';
  var W = Number(svg.getAttribute('data-width'));
  var xpad = Number(svg.getAttribute('data-xpad'));
  var total = Number(svg.getAttribute('data-total'));
  var unit = svg.getAttribute('data-unit') || 'samples';
  var fontWidth = Number(svg.getAttribute('data-font-width'));
  var usable = W - 2 * xpad;
  var details = svg.querySelector('.details');
  var matched = svg.querySelector('.matched');
  var resetZoom = svg.querySelector('.reset-zoom');
  var searchBtn = svg.querySelector('.search-btn');
  var frames = [];
  var nodes = svg.querySelectorAll('g.frame');
  for (var i = 0; i < nodes.length; i++) {
    var g = nodes[i];
    var rect = g.querySelector('rect');
    frames.push({
      g: g, rect: rect, text: g.querySelector('text'),
      name: g.getAttribute('data-n'), x: Number(g.getAttribute('data-x')), v: Number(g.getAttribute('data-v')),
      d: Number(g.getAttribute('data-d')), fill: rect.getAttribute('fill')
    });
    g.__frame = frames[frames.length - 1];
  }
  var zoomed = null;
  var term = null;

  function fmt(n) {
    var s = Math.round(n * 100) / 100;
    return s.toLocaleString('en-US');
  }
  function info(f) {
    var pct = total > 0 ? (100 * f.v / total).toFixed(2) : '0.00';
    return f.name + ' (' + fmt(f.v) + ' ' + unit + ', ' + pct + '%)';
  }
  function label(name, w) {
    var n = Math.floor((w - 6) / fontWidth);
    if (n < 3) return '';
    if (name.length <= n) return name;
    return name.slice(0, n - 2) + '..';
  }
  function place(f, x, w) {
    f.rect.setAttribute('x', (xpad + x).toFixed(2));
    f.rect.setAttribute('width', Math.max(0, w).toFixed(2));
    f.text.setAttribute('x', (xpad + x + 3).toFixed(2));
    f.text.textContent = label(f.name, w);
    f.g.style.display = '';
  }
  function hide(f) {
    f.g.style.display = 'none';
  }
  function frameOf(el) {
    while (el && el !== svg) {
      if (el.__frame) return el.__frame;
      el = el.parentNode;
    }
    return null;
  }

  function zoom(f) {
    var eps = total * 1e-9;
    var x0 = f.x, v0 = f.v, d0 = f.d;
    for (var i = 0; i < frames.length; i++) {
      var o = frames[i];
      if (o.d < d0 && o.x <= x0 + eps && o.x + o.v >= x0 + v0 - eps) {
        place(o, 0, usable);
        o.g.classList.add('parent');
      } else if (o.d >= d0 && o.x >= x0 - eps && o.x + o.v <= x0 + v0 + eps) {
        place(o, (o.x - x0) * usable / v0, o.v * usable / v0);
        o.g.classList.remove('parent');
      } else {
        hide(o);
        o.g.classList.remove('parent');
      }
    }
    zoomed = f;
    resetZoom.style.display = f.d === 0 ? 'none' : '';
    if (term !== null) search(term);
  }
  function unzoom() {
    for (var i = 0; i < frames.length; i++) {
      var o = frames[i];
      place(o, o.x * usable / total, o.v * usable / total);
      o.g.classList.remove('parent');
    }
    zoomed = null;
    resetZoom.style.display = 'none';
    if (term !== null) search(term);
  }

  function clearSearch() {
    for (var i = 0; i < frames.length; i++) frames[i].rect.setAttribute('fill', frames[i].fill);
    term = null;
    matched.textContent = ' ';
    searchBtn.textContent = 'Search';
  }
  function search(t) {
    if (t === null || t === undefined || t === '') { clearSearch(); return 0; }
    var re;
    try { re = new RegExp(t); } catch (e) { re = new RegExp(t.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&')); }
    term = t;
    var hits = [];
    for (var i = 0; i < frames.length; i++) {
      var o = frames[i];
      if (o.d > 0 && re.test(o.name)) {
        o.rect.setAttribute('fill', 'rgb(230,0,230)');
        hits.push(o);
      } else {
        o.rect.setAttribute('fill', o.fill);
      }
    }
    // A match inside another match is already counted: add up the union of the ranges.
    hits.sort(function (a, b) { return a.x - b.x || b.v - a.v; });
    var sum = 0, end = -Infinity;
    for (var j = 0; j < hits.length; j++) {
      var h = hits[j];
      if (h.x + h.v <= end) continue;
      var start = Math.max(h.x, end);
      sum += h.x + h.v - start;
      end = h.x + h.v;
    }
    var pct = total > 0 ? 100 * sum / total : 0;
    matched.textContent = 'Matched: ' + pct.toFixed(2) + '%';
    searchBtn.textContent = 'Reset Search';
    return pct;
  }
  function askSearch() {
    if (term !== null) { clearSearch(); return; }
    var t = window.prompt('Search frames (a regular expression):', '');
    if (t) search(t);
  }

  svg.addEventListener('mouseover', function (e) {
    var f = frameOf(e.target);
    if (f) details.textContent = info(f);
  });
  svg.addEventListener('mouseout', function (e) {
    if (frameOf(e.target)) details.textContent = ' ';
  });
  svg.addEventListener('click', function (e) {
    var f = frameOf(e.target);
    if (f) zoom(f);
  });
  resetZoom.addEventListener('click', function (e) { e.stopPropagation(); unzoom(); });
  searchBtn.addEventListener('click', function (e) { e.stopPropagation(); askSearch(); });
  if (!svg.hasAttribute('data-embedded')) {
    window.addEventListener('keydown', function (e) {
      if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); askSearch(); }
      else if (e.key === 'Escape') { clearSearch(); }
    });
  }
  var api = {
    zoom: function (name) {
      for (var i = 0; i < frames.length; i++) if (frames[i].name === name && frames[i].g.style.display !== 'none') { zoom(frames[i]); return true; }
      return false;
    },
    unzoom: unzoom, search: search, clearSearch: clearSearch,
    zoomed: function () { return zoomed ? zoomed.name : null; }
  };
  svg.flameGraph = api;
  window.flameGraph = api;
})();
`;
