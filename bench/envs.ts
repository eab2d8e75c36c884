/** The environments every contender serves, and where their sources live. */
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));

export interface BenchEnv {
  name: string;
  requirements: string;
  module: string;
  fn: string;
}

export const FUZZY: BenchEnv = {
  name: "fuzzy",
  requirements: `${ROOT}examples/fuzzy-similarity/package.json`,
  module: `${ROOT}examples/fuzzy-similarity/features.ts`,
  fn: "fuzzy_similarity",
};

/** Same module as FUZZY, served with a queue as short as the pool: where bursts past capacity get 503s. */
export const FUZZY_TIGHT: BenchEnv = { ...FUZZY, name: "fuzzy-tight" };

export const IDENTITY: BenchEnv = {
  name: "ident",
  requirements: `${ROOT}bench/fixtures/identity/package.json`,
  module: `${ROOT}bench/fixtures/identity/features.ts`,
  fn: "identity",
};

export const BENCH_ENVS = [FUZZY, IDENTITY, FUZZY_TIGHT];

/**
 * The fuzzy example in Python (same fields, fuzzywuzzy 0.18.0 pure Python).
 * Its requirements file is generated at build time (a wheel made from Debian's
 * python3-fuzzywuzzy, testing/python.ts): empty here.
 */
export const FUZZY_PY: BenchEnv = {
  name: "fuzzy-py",
  requirements: "",
  module: `${ROOT}examples/python/fuzzy_similarity.py`,
  fn: "fuzzy_similarity",
};

/** Each row back unchanged, in Python: the fixed and per-row cost of moving rows through the Python path. */
export const IDENTITY_PY: BenchEnv = {
  name: "ident-py",
  requirements: `${ROOT}bench/fixtures/python/identity/requirements.txt`,
  module: `${ROOT}bench/fixtures/python/identity/identity_rows.py`,
  fn: "identity",
};

/** Floating-point math in Python: a haversine distance (the standard library's math). */
export const HAVERSINE_PY: BenchEnv = {
  name: "haversine-py",
  requirements: `${ROOT}bench/fixtures/python/haversine/requirements.txt`,
  module: `${ROOT}bench/fixtures/python/haversine/haversine_distance.py`,
  fn: "haversine_km",
};

/** numpy in Python: a cosine similarity to a fixed 32-dimensional vector (numpy built for the interpreter). */
export const COSINE_PY: BenchEnv = {
  name: "cosine-py",
  requirements: `${ROOT}bench/fixtures/python/cosine/requirements.txt`,
  module: `${ROOT}bench/fixtures/python/cosine/cosine_similarity.py`,
  fn: "cosine_similarity",
};

/** The Python environments served over HTTP by vial_python (and by the subprocess pool, under the JS names). */
export const PYTHON_ENVS = [FUZZY_PY, IDENTITY_PY, HAVERSINE_PY];
