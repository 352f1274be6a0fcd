// The pcap-filter language: compile tcpdump expressions to classic BPF.
export { compileFilter, type CompileFilterOptions } from './compile.js';
export { parseFilter } from './parser.js';
export { tokenize, type Token } from './lexer.js';
export { fileResolver, type NameResolver, type HostAddress } from './names.js';
export { linkTypeFromName, linkTypeFromSavefile, linkTypeName, SUPPORTED_LINKTYPES, type LinkTypeName } from './linktypes.js';
