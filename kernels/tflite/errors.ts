// The one error a model file can cause. Its message always starts with the file, so
// that the CLI can print it as is (one line, no stack) and the user knows which file
// to look at and what is wrong with it.

export class ModelError extends Error {
  override readonly name = 'ModelError';
  /** The path the model was read from, as given. */
  readonly file: string;
  /** The message without the file prefix. */
  readonly reason: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super(`${file}: ${reason}`, options);
    this.file = file;
    this.reason = reason;
  }
}

/**
 * A name from the file, made safe to quote in a one-line message: names are
 * attacker-controlled bytes and could hold newlines, escape sequences or megabytes.
 */
export function quote(name: string, max = 60): string {
  // eslint-disable-next-line no-control-regex
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return `'${clean.length > max ? `${clean.slice(0, max)}...` : clean}'`;
}
