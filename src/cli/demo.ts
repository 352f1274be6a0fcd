// The first thing to run: a hash map in the kernel, filled and read back.
import { BpfMap } from '../map.js';

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'help') {
    console.log('Usage: bpfkit demo\n  Creates a BPF hash map, stores the squares of 1..5 and prints the map.');
    return 0;
  }
  using map = BpfMap.create({ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, name: 'demo' });
  for (let k = 1; k <= 5; k++) map.update(k, BigInt(k * k));
  const info = map.info();
  console.log(`map id ${info.id} '${info.name}' type ${info.type} key ${info.keySize}B value ${info.valueSize}B max_entries ${info.maxEntries}`);
  const rows = [...map.entries()].map(([k, v]) => [k.readUInt32LE(), v.readBigUInt64LE()] as const).sort((a, b) => a[0] - b[0]);
  for (const [k, v] of rows) console.log(`  key ${k}  value ${v}`);
  return 0;
}
