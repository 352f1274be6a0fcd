// validateCbpf against the running kernel's own checker: each program is attached to a UDP
// socket with SO_ATTACH_FILTER (no privilege needed) by a small python3 helper, and the kernel's
// accept/refuse must equal ours.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { needTool } from '../../helpers/env.js';
import { type CbpfInsn, stmt, jump, isValidCbpf, encodeCbpf, compileFilter, SKF_AD_OFF } from '../../../src/cbpf/index.js';

const HELPER = `
import ctypes, socket, sys, base64, json
SO_ATTACH_FILTER = 26
class Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
out = []
for line in sys.stdin:
    raw = base64.b64decode(line.strip())
    buf = ctypes.create_string_buffer(raw, len(raw))
    prog = Prog(len(raw) // 8, ctypes.cast(buf, ctypes.c_void_p))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(ctypes.string_at(ctypes.addressof(prog), ctypes.sizeof(prog))))
        out.append(True)
    except OSError:
        out.append(False)
    s.close()
print(json.dumps(out))
`;

const LD_MEM = 0x60, ST = 0x02, RET_K = 0x06, JEQ = 0x15, LDB = 0x30;
const PROGRAMS: [string, CbpfInsn[]][] = [
  ['ret', [stmt(RET_K, 0)]],
  ['no return at end', [stmt(0x00, 1)]],
  ['unknown opcode', [stmt(0x0e, 0), stmt(RET_K, 0)]],
  ['div by constant 0', [stmt(0x34, 0), stmt(RET_K, 0)]],
  ['div by constant 3', [stmt(0x34, 3), stmt(RET_K, 0)]],
  ['mod by constant 0', [stmt(0x94, 0), stmt(RET_K, 0)]],
  ['lsh 32', [stmt(0x64, 32), stmt(RET_K, 0)]],
  ['lsh 31', [stmt(0x64, 31), stmt(RET_K, 0)]],
  ['mem 16', [stmt(ST, 16), stmt(RET_K, 0)]],
  ['mem read before write', [stmt(LD_MEM, 1), stmt(RET_K, 0)]],
  ['mem write then read', [stmt(ST, 1), stmt(LD_MEM, 1), stmt(RET_K, 0)]],
  ['mem written on one path', [stmt(LDB, 0), jump(JEQ, 1, 0, 1), stmt(ST, 0), stmt(LD_MEM, 0), stmt(RET_K, 0)]],
  ['jump out', [jump(JEQ, 1, 0, 2), stmt(RET_K, 1), stmt(RET_K, 0)]],
  ['ja out', [stmt(0x05, 1), stmt(RET_K, 0)]],
  ['ja in', [stmt(0x05, 0), stmt(RET_K, 0)]],
  ['ancillary 60', [stmt(0x20, (SKF_AD_OFF + 60) >>> 0), stmt(RET_K, 0)]],
  ['ancillary 64', [stmt(0x20, (SKF_AD_OFF + 64) >>> 0), stmt(RET_K, 0)]],
  ['ancillary odd', [stmt(0x20, (SKF_AD_OFF + 2) >>> 0), stmt(RET_K, 0)]],
  ['ret x (invalid)', [stmt(0x0e, 0)]],
  ['4097 insns', Array.from({ length: 4097 }, () => stmt(RET_K, 0))],
  ['tcp port 80', compileFilter('tcp port 80')],
  ['unoptimized relation', compileFilter('ip[0] + 1 = 2', { optimize: false })],
  ['vlan with extensions', compileFilter('vlan 10 and ip', { vlanExtensions: true })],
];

test('the kernel accepts exactly the programs validateCbpf accepts', (t) => {
  if (!needTool(t, 'python3')) return;
  const input = PROGRAMS.map(([, p]) => encodeCbpf(p).toString('base64')).join('\n') + '\n';
  const r = spawnSync('python3', ['-c', HELPER], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const kernel: boolean[] = JSON.parse(r.stdout);
  assert.equal(kernel.length, PROGRAMS.length);
  assert.ok(kernel.includes(true) && kernel.includes(false), 'the kernel both accepted and refused some');
  PROGRAMS.forEach(([name, p], i) => {
    assert.equal(isValidCbpf(p), kernel[i], `${name}: kernel ${kernel[i] ? 'accepts' : 'refuses'}`);
  });
});
