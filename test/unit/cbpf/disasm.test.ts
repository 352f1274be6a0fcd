import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { need } from '../../helpers/env.js';
import { cbpfPeerDir } from './peer.js';
import { assembleCbpf, dumpCbpf, formatInsn, stmt, jump } from '../../../src/cbpf/index.js';
import { ParseError } from '../../../src/sys/errors.js';

// What tcpdump 4.99 / libpcap 1.10.3 prints for `tcpdump -d -y EN10MB 'ip and tcp port 8080'`.
const BOOK_EXAMPLE = `(000) ldh      [12]
(001) jeq      #0x800           jt 2\tjf 12
(002) ldb      [23]
(003) jeq      #0x6             jt 4\tjf 12
(004) ldh      [20]
(005) jset     #0x1fff          jt 12\tjf 6
(006) ldxb     4*([14]&0xf)
(007) ldh      [x + 14]
(008) jeq      #0x1f90          jt 11\tjf 9
(009) ldh      [x + 16]
(010) jeq      #0x1f90          jt 11\tjf 12
(011) ret      #262144
(012) ret      #0
`;

test('the -d listing reads back and prints byte for byte', () => {
  const prog = assembleCbpf(BOOK_EXAMPLE);
  assert.equal(prog.length, 13);
  assert.deepEqual(prog[1], { code: 0x15, jt: 0, jf: 10, k: 0x800 });
  assert.deepEqual(prog[6], { code: 0xb1, jt: 0, jf: 0, k: 14 });
  assert.equal(dumpCbpf(prog), BOOK_EXAMPLE);
});

test('-dd and -ddd formats', () => {
  const prog = assembleCbpf(BOOK_EXAMPLE);
  const dd = dumpCbpf(prog, 'dd');
  assert.equal(dd.split('\n')[0], '{ 0x28, 0, 0, 0x0000000c },');
  assert.equal(dd.split('\n')[1], '{ 0x15, 0, 10, 0x00000800 },');
  const ddd = dumpCbpf(prog, 'ddd').split('\n');
  assert.equal(ddd[0], '13');
  assert.equal(ddd[1], '40 0 0 12');
  assert.equal(ddd[12], '6 0 0 262144');
  // Both read back to the same instructions.
  assert.deepEqual(assembleCbpf(dd), prog);
  assert.deepEqual(assembleCbpf(dumpCbpf(prog, 'ddd')), prog);
});

test('operands print as bpf_image prints them', () => {
  assert.equal(formatInsn(stmt(0x54, 0xf0), 3), '(003) and      #0xf0');
  assert.equal(formatInsn(stmt(0x04, 15), 0), '(000) add      #15');
  assert.equal(formatInsn(stmt(0x06, 0xffffffff), 0), '(000) ret      #-1');
  assert.equal(formatInsn(stmt(0x16, 0), 9), '(009) ret      ');
  assert.equal(formatInsn(stmt(0x20, 0xfffff000), 0), '(000) ld       [proto]');
  assert.equal(formatInsn(stmt(0x28, 0xfffff004), 0), '(000) ldh      [type]');
  assert.equal(formatInsn(stmt(0x05, 2), 4), '(004) ja       7');
  assert.equal(formatInsn(jump(0x1d, 0, 1, 0), 1), '(001) jeq      x                jt 3\tjf 2');
  assert.equal(formatInsn(stmt(0xff, 0), 0), '(000) unimp    0xff');
});

test('assembler errors name the line and column', () => {
  assert.throws(() => assembleCbpf('(000) ld [12]\n(001) frob #1\n'), (e: unknown) =>
    e instanceof ParseError && e.line === 2 && e.column === 7 && /unknown mnemonic/.test(e.message));
  assert.throws(() => assembleCbpf('(000) jeq #1 jt 0 jf 1\n(001) ret #0\n'), ParseError);
});

test('every listing libpcap 1.10.3 printed for the TESTrun inputs round-trips exactly', (t) => {
  const file = join(cbpfPeerDir(), 'libpcap/oracle-libpcap-1.10.3/TESTrun.inputs.compiled.json');
  if (!need(t, existsSync(file), `needs ${file}`)) return;
  const oracle = JSON.parse(readFileSync(file, 'utf8'));
  let n = 0;
  for (const a of oracle.accept) {
    if (!a.lines) continue;
    const text = a.lines.join('\n') + '\n';
    assert.equal(dumpCbpf(assembleCbpf(text)), text, a.expr);
    n++;
  }
  assert.ok(n > 3000, `only ${n} listings`);
});
