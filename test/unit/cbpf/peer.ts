// The shared peer data for the classic-BPF tests.
import { peerDir } from '../../helpers/env.js';

export function cbpfPeerDir(): string {
  return peerDir;
}
