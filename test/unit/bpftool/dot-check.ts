// A syntax check of Graphviz DOT as `prog dump xlated visual` writes it (graphviz itself is not
// installed here): statements, attribute lists, edges with ports, nested subgraphs, quoted IDs.
// Returns the node ids defined and the edges, so tests can check the graph's shape too.

export interface Dot {
  nodes: Set<string>;
  edges: [string, string][];
  clusters: string[];
}

type Tok = { k: 'id' | 'str' | 'p'; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) i++;
    else if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) {
          v += s.slice(j, j + 2);
          j += 2;
        } else v += s[j++];
      }
      if (j >= s.length) throw new Error(`unterminated string at ${i}`);
      out.push({ k: 'str', v });
      i = j + 1;
    } else if (s.startsWith('->', i)) {
      out.push({ k: 'p', v: '->' });
      i += 2;
    } else if ('{}[];,=:'.includes(c)) {
      out.push({ k: 'p', v: c });
      i++;
    } else if (/[A-Za-z0-9_.]/.test(c)) {
      let j = i;
      while (j < s.length && /[A-Za-z0-9_.]/.test(s[j])) j++;
      out.push({ k: 'id', v: s.slice(i, j) });
      i = j;
    } else throw new Error(`unexpected character ${JSON.stringify(c)} at ${i}`);
  }
  return out;
}

export function parseDot(text: string): Dot {
  const t = tokenize(text);
  let i = 0;
  const dot: Dot = { nodes: new Set(), edges: [], clusters: [] };
  const peek = () => t[i];
  const expect = (v: string) => {
    if (t[i]?.v !== v) throw new Error(`expected '${v}' at token ${i}, got '${t[i]?.v}'`);
    i++;
  };
  const id = () => {
    const x = t[i];
    if (!x || (x.k !== 'id' && x.k !== 'str')) throw new Error(`expected an ID at token ${i}`);
    i++;
    return x.v;
  };
  const attrs = () => {
    expect('[');
    while (peek()?.v !== ']') {
      id();
      expect('=');
      id();
      if (peek()?.v === ',' || peek()?.v === ';') i++;
    }
    expect(']');
  };
  const nodeRef = () => {
    const n = id();
    if (peek()?.v === ':') {
      i++;
      id();
    }
    return n;
  };
  const stmts = () => {
    expect('{');
    while (peek()?.v !== '}') {
      if (!peek()) throw new Error('unexpected end of input');
      if (peek()!.v === 'subgraph') {
        i++;
        dot.clusters.push(id());
        stmts();
        continue;
      }
      const a = nodeRef();
      if (peek()?.v === '=') {
        i++;
        id();
      } else if (peek()?.v === '->') {
        i++;
        const b = nodeRef();
        dot.edges.push([a, b]);
        if (peek()?.v === '[') attrs();
      } else {
        dot.nodes.add(a);
        if (peek()?.v === '[') attrs();
      }
      expect(';');
    }
    expect('}');
  };
  if (id() !== 'digraph') throw new Error('not a digraph');
  if (peek()?.v !== '{') id();
  stmts();
  if (i !== t.length) throw new Error(`trailing tokens after the graph at ${i}`);
  return dot;
}
