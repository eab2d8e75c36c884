/**
 * Enough of the Dockerfile and .dockerignore formats to check vial's own:
 * instructions with their continuation lines joined, grouped by stage, and
 * the ignore patterns as the builder applies them (no `!` exceptions).
 */
export interface Instruction {
  keyword: string;
  /** The rest of the line, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  image: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  directives: string[];
  /** ARGs before the first FROM: name -> default. */
  globalArgs: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split("\n");
  // Parser directives: only at the very top.
  const directives: string[] = [];
  for (const l of lines) {
    const directive = /^#\s*(\w+=.*)$/.exec(l);
    if (!directive) break;
    directives.push(directive[1]!.trim());
  }
  const instructions: Instruction[] = [];
  let pending: Instruction | undefined;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!pending && (line === "" || line.startsWith("#"))) return;
    if (pending && line.startsWith("#")) return; // comments inside a continued instruction
    const text = line.endsWith("\\") ? line.slice(0, -1).trim() : line;
    if (pending) pending.args += ` ${text}`;
    else {
      const [keyword, ...rest] = text.split(/\s+/);
      pending = { keyword: keyword!.toUpperCase(), args: rest.join(" "), line: i + 1 };
    }
    if (!line.endsWith("\\")) {
      instructions.push(pending);
      pending = undefined;
    }
  });
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") {
      const [image, as, name] = ins.args.split(/\s+/);
      stages.push({ image: image!, ...(as?.toUpperCase() === "AS" ? { name } : {}), instructions: [] });
    } else if (stages.length === 0 && ins.keyword === "ARG") {
      const [key, value = ""] = ins.args.split("=");
      globalArgs[key!] = value;
    } else stages.at(-1)?.instructions.push(ins);
  }
  return { directives, globalArgs, stages };
}

/** COPY's flags (`--from=store`) and its sources and destination. */
export function copyParts(ins: Instruction): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words = ins.args.split(/\s+/);
  const flags = Object.fromEntries(words.filter((w) => w.startsWith("--")).map((w) => w.slice(2).split("=") as [string, string]));
  const paths = words.filter((w) => !w.startsWith("--"));
  return { flags, sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" && pattern[i + 1] === "*") {
      out += pattern[i + 2] === "/" ? "(?:.*/)?" : ".*";
      i += pattern[i + 2] === "/" ? 2 : 1;
    } else if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}

/** Whether the builder leaves `path` (relative to the context) out: it, or a folder above it, matches a pattern. */
export function ignoredBy(dockerignore: string): (path: string) => boolean {
  const patterns = dockerignore
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      if (l.startsWith("!")) throw new Error(`.dockerignore exceptions ('${l}') are not understood by this check`);
      return globToRegExp(l.replace(/^\/+|\/+$/g, ""));
    });
  return (path) => {
    const parts = path.split("/");
    return parts.some((_, i) => patterns.some((p) => p.test(parts.slice(0, i + 1).join("/"))));
  };
}
