// Builds the LALR(1) tables of the tracing language from src/trace/grammar.ts and writes
// src/trace/generated/parse-tables.ts. Run after changing the grammar:
//   npx tsx scripts/gen-trace-tables.ts
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLalrTables } from '../src/trace/lalr.js';
import { grammarSpec } from '../src/trace/grammar.js';
import { serializeTables } from '../src/trace/tables.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'trace', 'generated', 'parse-tables.ts');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, serializeTables(buildLalrTables(grammarSpec())));
console.log(`wrote ${out}`);
