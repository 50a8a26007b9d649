import {isPortFree} from '../../src/stack/ports.js'

/**
 * Ports handed out for servers a test starts later (a binary, a detached stack): from a block of this worker's own
 * below Linux's ephemeral range (32768–60999), so no listen(0) or outgoing connection of another test file running
 * in parallel takes the port between the pick and the bind. Each is probed free before it is handed out.
 */
// Above what the Docker stack test publishes (up to 9092 + 15444) and below 32768.
const FIRST = 25_000
const BLOCK = 1_000
const BLOCKS = 7
// A worker runs one file after another; starting anywhere in the block keeps one file off the last one's ports.
let next = Math.floor(Math.random() * BLOCK)

/** A port that was free on 127.0.0.1 a moment ago, and that nothing else on this machine picks meanwhile. */
export async function freePort(): Promise<number> {
  // VITEST_POOL_ID is 1..maxWorkers in a test worker; outside vitest (benchmarks) the process id picks the block.
  const block = Number(process.env.VITEST_POOL_ID ?? process.pid) % BLOCKS
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = FIRST + block * BLOCK + (next++ % BLOCK)
    if (await isPortFree(port)) return port
  }
  throw new Error(`no free port in ${FIRST + block * BLOCK}-${FIRST + (block + 1) * BLOCK - 1}`)
}
