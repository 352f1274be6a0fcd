// bpfkit/viz: folded stacks, flame graphs (SVG, HTML) and histograms. Pure: no kernel, no privilege.
export * from './folded.js';
export { buildFlameTree, layoutFlameTree, type FlameNode, type FlameRect } from './flame-tree.js';
export { renderFlameGraph, frameColor, type FlameGraphOptions, type FlamePalette } from './flamegraph-svg.js';
export { renderFlameGraphHtml } from './flamegraph-html.js';
export * from './histogram.js';
export * from './histogram-text.js';
export { renderHistogramSvg, type HistogramSvgOptions } from './histogram-svg.js';
export { stackFormatOf, renderStacks, writeStacks, type StackFormat } from './output.js';
