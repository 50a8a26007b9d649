/**
 * Pre-flight port checks for the dev stack: every port the stack publishes must be free on 127.0.0.1, and a busy
 * one is named with the process holding it where the OS tells (Linux /proc, else lsof).
 */
import {execFileSync} from 'node:child_process'
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {createServer} from 'node:net'

import {PrismError} from '../errors.js'

export interface PortClaim {
  port: number
  /** What the stack would serve there, e.g. "control plane". */
  service: string
}

/** Whether nothing listens on host:port now (an exclusive bind succeeds). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({port, host, exclusive: true}, () => server.close(() => resolve(true)))
  })
}

/** Listening sockets' inodes for a local port, from /proc/net/tcp and tcp6 (state 0A = LISTEN). */
function listeningInodes(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length > 9 && cols[1]!.endsWith(`:${hex}`) && cols[3] === '0A') inodes.add(cols[9]!)
    }
  }
  return inodes
}

function holderFromProc(port: number): string | undefined {
  const inodes = listeningInodes(port)
  if (inodes.size === 0) return undefined
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue // another user's process: the OS does not tell
    }
    for (const fd of fds) {
      let link: string
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`)
      } catch {
        continue
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1]
      if (inode && inodes.has(inode)) {
        const name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim()
        return `pid ${pid} (${name})`
      }
    }
  }
  return undefined
}

function holderFromLsof(port: number): string | undefined {
  try {
    const out = execFileSync('lsof', ['-nP', `-iTCP:${port}`, '-sTCP:LISTEN', '-Fpc'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 3000})
    const pid = /^p(\d+)$/m.exec(out)?.[1]
    const name = /^c(.+)$/m.exec(out)?.[1]
    return pid ? `pid ${pid}${name ? ` (${name})` : ''}` : undefined
  } catch {
    return undefined
  }
}

/** "pid 1234 (redis-server)", or undefined when the OS does not say. */
export function portHolder(port: number): string | undefined {
  try {
    readdirSync('/proc/self/fd')
  } catch {
    return holderFromLsof(port)
  }
  return holderFromProc(port)
}

/** Throws one error naming every busy port and its holder. */
export async function checkPortsFree(claims: PortClaim[], host = '127.0.0.1'): Promise<void> {
  const busy: string[] = []
  for (const claim of claims) {
    if (await isPortFree(claim.port, host)) continue
    const holder = portHolder(claim.port)
    busy.push(`port ${claim.port} (${claim.service}) is in use${holder ? ` by ${holder}` : ''}`)
  }
  if (busy.length === 0) return
  throw new PrismError(busy.length === 1 ? busy[0]! : `${busy.length} ports are in use`, {
    code: 'UNAVAILABLE',
    details: busy.length === 1 ? [] : busy,
    hint: 'Stop what holds the port, or move the stack: prismctl dev up --embedded --port-offset N (or --issuer-port, --admin-port, --proxy-port, --metrics-port).',
  })
}
