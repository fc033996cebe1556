// Reading a model file's bytes, with the failures a user can cause (a wrong path, a
// directory, a device, a file too large for the board) turned into ModelErrors.

import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ModelError } from './errors.js';

/**
 * Flatbuffer offsets are 32-bit, and so are typed array lengths on the 32-bit Pi OS;
 * files beyond this (TFLite's >2 GB format) could not be held in memory there anyway.
 */
const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** The whole file, or a ModelError naming `path` and saying why not. */
export async function readModelBytes(path: string): Promise<Uint8Array> {
  try {
    // Non-blocking, or opening a FIFO would wait for a writer that never comes.
    const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const info = await handle.stat();
      if (info.isDirectory()) throw new ModelError(path, 'is a directory, not a model file');
      // A FIFO or a device such as /dev/zero would never end.
      if (!info.isFile()) throw new ModelError(path, 'is not a regular file');
      if (info.size > MAX_MODEL_BYTES) {
        throw new ModelError(path, `${info.size} bytes is larger than the ${MAX_MODEL_BYTES} bytes a model may have`);
      }
      const bytes = allocate(path, info.size);
      let filled = 0;
      while (filled < bytes.length) {
        const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
        if (bytesRead === 0) throw new ModelError(path, `file shrank while being read (${filled} of ${info.size} bytes)`);
        filled += bytesRead;
      }
      return bytes;
    } finally {
      await handle.close();
    }
  } catch (error) {
    if (error instanceof ModelError) throw error;
    throw new ModelError(path, describeIoError(error), { cause: error });
  }
}

function describeIoError(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EISDIR': return 'is a directory, not a model file';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'no such file (a parent in the path is not a directory)';
    default: return `cannot be read (${code ?? message})`;
  }
}

function allocate(path: string, size: number): Uint8Array {
  try {
    return new Uint8Array(size);
  } catch (error) {
    // A board with less free memory than the file is large.
    throw new ModelError(path, `${size} bytes do not fit in the memory available`, { cause: error });
  }
}
