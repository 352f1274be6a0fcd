// Where the current task keeps its ids and name, from the kernel's BTF. With it, the sampling
// programs read task->pid, ->tgid and ->comm with plain loads from the pointer
// bpf_get_current_task_btf returns, instead of calling bpf_get_current_pid_tgid and
// bpf_get_current_comm (a helper call and a 16-byte strscpy_pad on every sample).
import { kernelBtf } from '../btf/kernel.js';

export interface TaskLayout {
  /** Byte offsets in struct task_struct. */
  pid: number;
  tgid: number;
  comm: number;
}

/** TASK_COMM_LEN: the key holds the name as two 8-byte loads. */
const COMM_SIZE = 16;

/**
 * The offsets on the running kernel, or undefined when the kernel has no BTF or a layout the
 * programs cannot read with aligned loads (then they use the helpers).
 */
export function currentTaskLayout(): TaskLayout | undefined {
  try {
    const btf = kernelBtf();
    const task = btf.find('task_struct', 'struct');
    if (!task) return undefined;
    const member = (name: string, size: number, align: number): number | undefined => {
      const m = btf.memberByPath(task.id, name);
      if (m.bitfieldSize || m.bitOffset % 8) return undefined;
      const off = m.bitOffset / 8;
      return btf.sizeof(m.type) === size && off % align === 0 ? off : undefined;
    };
    const pid = member('pid', 4, 4);
    const tgid = member('tgid', 4, 4);
    const comm = member('comm', COMM_SIZE, 8);
    if (pid === undefined || tgid === undefined || comm === undefined) return undefined;
    return { pid, tgid, comm };
  } catch {
    return undefined;
  }
}
