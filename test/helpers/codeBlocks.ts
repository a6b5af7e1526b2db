/**
 * The fenced code blocks of the repository's Markdown files, with the marker comment that sits on
 * the line right above each (`<!-- example: … -->`, `<!-- check: … -->`, `<!-- not-runnable: … -->`).
 * test/docs/blocks.test.ts checks every block; test/packages/install.test.ts runs the `example:` ones.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

export type Marker = { kind: "example" | "check" | "not-runnable"; arg: string };

export type CodeBlock = {
  /** Path relative to the repository root, e.g. `docs/job-spec.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language (first word of its info string), lower case; "" when none. */
  lang: string;
  marker?: Marker;
  /** The block's text, with the fence's indentation removed, ending in a newline. */
  text: string;
};

/** Directories never searched for Markdown (dependencies, build outputs, generated deployments). */
const SKIP = new Set(["node_modules", ".git", "dist", "artifacts", "cache", "deployments", "coverage", ".shoal"]);

/**
 * Every Markdown file of the repository that users read: README.md, docs/, examples/, the
 * packages' READMEs and deploy notes, anything new. CHANGELOGs hold no code blocks to run.
 */
export function markdownFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name) && !entry.name.startsWith(".")) walk(join(dir, entry.name));
      } else if (entry.name.endsWith(".md") && entry.name !== "CHANGELOG.md") {
        found.push(relative(root, join(dir, entry.name)));
      }
    }
  };
  walk(root);
  return found.sort();
}

const MARKER = /^\s*<!--\s*(example|check|not-runnable):\s*([\s\S]*?)\s*-->\s*$/;

/** The fenced blocks of one Markdown text (``` or ~~~ fences, indented or not). */
export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open as unknown as [string, string, string, string];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = new RegExp(`^\\s*${fence[0] === "`" ? "`" : "~"}{${fence.length},}\\s*$`);
      if (close.test(lines[j]!)) break;
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!.trimStart());
    }
    const previous = lines[i - 1] ?? "";
    const m = MARKER.exec(previous);
    blocks.push({
      file,
      line: i + 1,
      lang: info.toLowerCase(),
      ...(m ? { marker: { kind: m[1] as Marker["kind"], arg: m[2]! } } : {}),
      text: body.join("\n") + "\n",
    });
    i = j;
  }
  return blocks;
}

/** Every block of every Markdown file under `root`. */
export function allCodeBlocks(root: string): CodeBlock[] {
  return markdownFiles(root).flatMap((file) => codeBlocks(file, readFileSync(join(root, file), "utf8")));
}

/** `file:line` and the block's first non-empty line, for messages that point at the block. */
export function where(block: CodeBlock): string {
  const first = block.text.split("\n").find((l) => l.trim() !== "") ?? "";
  return `${block.file}:${block.line} (\`\`\`${block.lang} block starting ${JSON.stringify(first.length > 70 ? first.slice(0, 70) + "…" : first)})`;
}
