// The smallest BTF the kernel accepts: one type, `int` (id 1). Storage and struct_ops maps need a BTF fd.
export function tinyIntBtf(): Buffer {
  const types = Buffer.alloc(16);
  types.writeUInt32LE(1, 0); // name "int"
  types.writeUInt32LE(1 << 24, 4); // kind INT
  types.writeUInt32LE(4, 8); // size
  types.writeUInt32LE(0x01000020, 12); // signed, 32 bits
  const strings = Buffer.from('\0int\0');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr[2] = 1;
  hdr.writeUInt32LE(24, 4);
  hdr.writeUInt32LE(0, 8);
  hdr.writeUInt32LE(types.length, 12);
  hdr.writeUInt32LE(types.length, 16);
  hdr.writeUInt32LE(strings.length, 20);
  return Buffer.concat([hdr, types, strings]);
}
