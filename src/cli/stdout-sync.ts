/**
 * stdout for the command lines answered without oclif (fast-validate.ts, fast-get.ts): written to fd 1 without
 * creating process.stdout, whose stream (a pipe's is a net.Socket) costs ~8 ms of a start that prints a few lines;
 * through the stream only where fd 1 is non-blocking and full. A closed pipe (`| head`) ends the output quietly,
 * as it would through the stream.
 */
import {writeSync} from 'node:fs'

export function writeStdout(text: string): void {
  const bytes = Buffer.from(text)
  let offset = 0
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EAGAIN') process.stdout.write(bytes.subarray(offset))
    else if (code !== 'EPIPE') throw err
  }
}

/** Whether stdout is a terminal, asked only when it matters (it creates the stream). */
export const stdoutIsTty = (): boolean => process.stdout.isTTY === true
