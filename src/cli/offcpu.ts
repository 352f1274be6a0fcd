// bpfkit offcpu [-p PID | -c CMD] [-d SECONDS] [--kernel|--user] [-o FILE]
// Off-CPU time by stack; the same runner and outputs as `bpfkit profile`.
import { runStackTool } from './profile.js';

export async function main(argv: string[]): Promise<number> {
  return runStackTool('offcpu', argv);
}
