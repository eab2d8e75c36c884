// wasi:filesystem/{types,preopens}: no preopened directories at all. The
// snapshot already holds every module the guest imported, so the guest never
// needs a file; anything it tries (open, stat, import of a missing module)
// fails as an ordinary OSError / ImportError inside the guest.
import { fsError } from "./errors.js";

const denied = (): never => {
  throw fsError("bad-descriptor");
};

/** No instance is ever handed out; methods exist so the bindings link. */
export class Descriptor {
  readViaStream = denied;
  writeViaStream = denied;
  appendViaStream = denied;
  advise = denied;
  syncData = denied;
  getFlags = denied;
  getType = denied;
  setSize = denied;
  setTimes = denied;
  read = denied;
  write = denied;
  readDirectory = denied;
  sync = denied;
  createDirectoryAt = denied;
  stat = denied;
  statAt = denied;
  setTimesAt = denied;
  linkAt = denied;
  openAt = denied;
  readlinkAt = denied;
  removeDirectoryAt = denied;
  renameAt = denied;
  symlinkAt = denied;
  unlinkFileAt = denied;
  isSameObject = (): boolean => false;
  metadataHash = denied;
  metadataHashAt = denied;
}

export class DirectoryEntryStream {
  readDirectoryEntry(): undefined {
    return undefined;
  }
}

export function filesystemImports() {
  return {
    "wasi:filesystem/types": {
      Descriptor,
      DirectoryEntryStream,
      filesystemErrorCode: (): undefined => undefined,
    },
    "wasi:filesystem/preopens": {
      getDirectories: (): [Descriptor, string][] => [],
    },
  };
}
