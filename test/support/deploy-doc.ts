// The ```sh blocks of docs/deploy.md, for the tests that run them as written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface DocBlock {
  /** The nearest heading above the block (## or ###). */
  heading: string;
  /** The block's lines, without the indentation of the list item it may sit in. */
  text: string;
}

/** Every ```sh block of docs/deploy.md, in order. */
export function deployDocBlocks(): DocBlock[] {
  const blocks: DocBlock[] = [];
  let heading = '';
  // The block being read: its indentation and lines (null for a block that is not sh).
  let open: { indent: number; lines: string[] | null } | null = null;
  for (const line of readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8').split('\n')) {
    const fence = /^(\s*)```(\S*)\s*$/.exec(line);
    if (open) {
      if (fence) {
        if (open.lines) blocks.push({ heading, text: `${open.lines.join('\n')}\n` });
        open = null;
      } else open.lines?.push(line.slice(open.indent));
      continue;
    }
    const title = /^#{2,3} (.+)$/.exec(line);
    if (title) heading = title[1];
    if (fence) open = { indent: fence[1].length, lines: fence[2] === 'sh' ? [] : null };
  }
  return blocks;
}

/** The sh block under a heading of docs/deploy.md (the only one there). */
export function docBlock(heading: string): string {
  const found = deployDocBlocks().filter((b) => b.heading === heading);
  if (found.length !== 1) throw new Error(`docs/deploy.md has ${found.length} sh blocks under "${heading}", expected 1`);
  return found[0].text;
}
