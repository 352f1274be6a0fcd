// A small well-formedness check for the SVG and HTML we write (no XML parser ships with Node):
// tags nest and close, attributes are quoted, text holds no raw '<' and only known entities.
export function checkWellFormed(xml: string, opts: { html?: boolean } = {}): void {
  const voidHtml = new Set(['meta', 'input', 'br', 'img', 'link', 'hr']);
  const stack: string[] = [];
  let i = 0;
  const text = (s: string, at: number) => {
    if (/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i.test(s)) throw new Error(`bare & in text near ${at}: ${s.slice(0, 60)}`);
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    if (lt < 0) { text(xml.slice(i), i); break; }
    text(xml.slice(i, lt), i);
    if (xml.startsWith('<![CDATA[', lt)) { i = xml.indexOf(']]>', lt) + 3; continue; }
    if (xml.startsWith('<!--', lt)) { i = xml.indexOf('-->', lt) + 3; continue; }
    if (xml.startsWith('<?', lt) || xml.startsWith('<!', lt)) { i = xml.indexOf('>', lt) + 1; continue; }
    const end = xml.indexOf('>', lt);
    if (end < 0) throw new Error(`unclosed tag at ${lt}`);
    const tag = xml.slice(lt + 1, end);
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}> at ${lt}`);
    } else {
      const m = /^([A-Za-z][\w:-]*)((?:\s+[\w:-]+(?:="[^"<]*")?)*)\s*(\/?)$/.exec(tag);
      if (!m) throw new Error(`malformed tag <${tag.slice(0, 80)}> at ${lt}`);
      if (!opts.html && /\s[\w:-]+(?=\s|$|\/)/.test(m[2].replace(/="[^"]*"/g, '=""'))) throw new Error(`attribute without value in <${m[1]}>`);
      if (m[3] !== '/' && !(opts.html && voidHtml.has(m[1]))) {
        stack.push(m[1]);
        if (opts.html && (m[1] === 'script' || m[1] === 'style')) {
          // Raw text in HTML: skip to its end tag.
          const close = xml.indexOf(`</${m[1]}>`, end);
          stack.pop();
          i = close + m[1].length + 3;
          continue;
        }
      }
    }
    i = end + 1;
  }
  if (stack.length) throw new Error(`unclosed: ${stack.join(' > ')}`);
}
