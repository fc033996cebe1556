// `npm run bench:arm-decode`'s figures: what it records, and the table it prints, which the
// README's Performance section shows too.

export interface DecodeCase {
  /** The driver's case: SHRINK or SHRINK:WIDTH:HEIGHT (bench/arm/jpeg-decode.c). */
  case: string;
  what: string;
  /** The size it produced, WIDTHxHEIGHT. */
  output: string;
  /** Instructions executed, counted under qemu. */
  instructions: number;
  /** The share of them found in the loaded files and timed by llvm-mca. */
  modelledShare: number;
  /** Modelled milliseconds per board, one core. */
  ms: Record<string, number>;
}

export interface DecodeFigures {
  frame: { file: string; width: number; height: number };
  libvips: string;
  tools: { llvmMca: string; qemu: string; gcc: string };
  boards: { board: string; label: string }[];
  cases: DecodeCase[];
}

/** The figures as a Markdown table, one row per case, a column per board. */
export function decodeTable(f: DecodeFigures): string[] {
  return [
    `| ${f.frame.file} (${f.frame.width}x${f.frame.height}) | output | M instructions | ${f.boards.map((b) => `${b.label} ms`).join(' | ')} |`,
    `|---|---|---|${f.boards.map(() => '---').join('|')}|`,
    ...f.cases.map((c) => `| ${c.what} | ${c.output} | ${(c.instructions / 1e6).toFixed(1)} | ${f.boards.map((b) => c.ms[b.board]).join(' | ')} |`),
  ];
}
