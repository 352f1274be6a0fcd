// A flame graph as a web page: the same SVG inlined (its script runs in the page) under a search box
// that filters as you type, and a Reset Zoom button.
import { renderFlameGraph, type FlameGraphOptions } from './flamegraph-svg.js';
import { escapeXml } from './xml.js';
import type { FoldedStack } from './folded.js';

export function renderFlameGraphHtml(stacks: Iterable<FoldedStack>, opts: FlameGraphOptions = {}): string {
  const title = opts.title ?? 'Flame Graph';
  const svg = renderFlameGraph(stacks, { ...opts, embedded: true });
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)}</title>
<style>
  body { margin: 0; padding: 8px; font-family: Verdana, sans-serif; background: #fafafa; }
  .bar { display: flex; gap: 8px; align-items: center; margin-bottom: 6px; }
  .bar input { flex: 0 1 24em; padding: 3px 6px; font: inherit; }
  .bar .hint { color: #777; font-size: 12px; }
  svg.flamegraph { display: block; max-width: 100%; height: auto; }
</style>
</head>
<body>
<div class="bar">
  <input id="flamegraph-search" type="search" placeholder="Search frames (regular expression)" autocomplete="off" spellcheck="false">
  <button id="flamegraph-reset" type="button">Reset Zoom</button>
  <span class="hint">Hover for details, click a frame to zoom.</span>
</div>
${svg}<script>
(function () {
  var input = document.getElementById('flamegraph-search');
  var graph = document.querySelector('svg.flamegraph').flameGraph;
  input.addEventListener('input', function () { graph.search(input.value); });
  document.getElementById('flamegraph-reset').addEventListener('click', function () { graph.unzoom(); });
  window.addEventListener('keydown', function (e) {
    if ((e.ctrlKey || e.metaKey) && (e.key === 'f' || e.key === 'F')) { e.preventDefault(); input.focus(); input.select(); }
    else if (e.key === 'Escape') { input.value = ''; graph.clearSearch(); }
  });
})();
</script>
</body>
</html>
`;
}
