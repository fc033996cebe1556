/** sysexits-style codes, so scripts and pm2 can tell a bad model from a bad config. */
export const ExitCode = {
  usage: 64,
  dataError: 65,
  noInput: 66,
  unavailable: 69,
  software: 70,
  /** EX_CANTCREAT: the data directory cannot be made or written. */
  cantCreate: 73,
  ioError: 74,
  /** EX_TEMPFAIL: the data directory is in use by another agent; it can be tried again once that one stops. */
  tempFail: 75,
  config: 78,
  /** 128 + SIGPIPE: what the shell reports for a tool whose reader went away (`| head -1`). */
  brokenPipe: 141,
} as const;

/** An error meant for the user: its message is printed as is, without a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = ExitCode.dataError) {
    super(message);
    this.name = 'CliError';
  }
}
