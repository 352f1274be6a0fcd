// Folded stacks as a tree of frames: each node is one frame in one calling context; its value is the
// sum of the stacks passing through it. Children keep first-seen order until laid out, then sort by
// name, so equal input gives an equal picture (flamegraph.pl sorts alphabetically too).
import type { FoldedStack } from './folded.js';

export interface FlameNode {
  name: string;
  /** Inclusive value: this frame and everything it called. */
  value: number;
  /** Value of stacks ending here. */
  self: number;
  children: Map<string, FlameNode>;
}

export function buildFlameTree(stacks: Iterable<FoldedStack>, rootName = 'all'): FlameNode {
  const root: FlameNode = { name: rootName, value: 0, self: 0, children: new Map() };
  for (const s of stacks) {
    if (!(s.value > 0)) continue;
    root.value += s.value;
    let node = root;
    for (const name of s.frames) {
      let child = node.children.get(name);
      if (!child) {
        child = { name, value: 0, self: 0, children: new Map() };
        node.children.set(name, child);
      }
      child.value += s.value;
      node = child;
    }
    node.self += s.value;
  }
  return root;
}

/** One rectangle of the picture, in value units: it starts at `x` and is `value` wide. */
export interface FlameRect {
  name: string;
  depth: number;
  x: number;
  value: number;
  self: number;
}

/**
 * Places every node: depth 0 is the root; children sit side by side above their parent in name
 * order. Nodes narrower than `minValue` are dropped with their subtrees (they would be invisible).
 */
export function layoutFlameTree(root: FlameNode, minValue = 0): { rects: FlameRect[]; maxDepth: number } {
  const rects: FlameRect[] = [];
  let maxDepth = 0;
  const walk = (node: FlameNode, depth: number, x: number): void => {
    rects.push({ name: node.name, depth, x, value: node.value, self: node.self });
    if (depth > maxDepth) maxDepth = depth;
    let cx = x;
    const kids = [...node.children.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const k of kids) {
      if (k.value >= minValue) walk(k, depth + 1, cx);
      cx += k.value;
    }
  };
  walk(root, 0, 0);
  return { rects, maxDepth };
}
