/** The interpreter build's sources (build.sh unpacks them): CPython's and zlib's upstream tarballs as Debian carries them. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SourceArchive } from "../../sources/archive.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

export const PYTHON_SOURCE: SourceArchive = {
  what: "CPython 3.11.2",
  debian: { pkg: "python3.11", upstream: "3.11.2" },
  file: "python3.11_3.11.2.orig.tar.gz",
  // python.org's Python-3.11.2.tgz: Debian carries it unchanged.
  sha256: ["2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"],
  alsoKnownAs: "python.org's Python-3.11.2.tgz, renamed",
};

export const ZLIB_SOURCE: SourceArchive = {
  what: "zlib 1.2.13",
  debian: { pkg: "zlib", upstream: "1.2.13.dfsg" },
  file: "zlib_1.2.13.dfsg.orig.tar.bz2",
  sha256: ["71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1"],
  // 1.2 MB: shipped, as Debian's security archive has listed revisions it does not serve.
  shipped: join(HERE, "zlib_1.2.13.dfsg.orig.tar.bz2"),
};
