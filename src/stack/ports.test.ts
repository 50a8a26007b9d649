import {createServer, type Server} from 'node:net'

import {afterEach, describe, expect, it} from 'vitest'

import {checkPortsFree, portHolder} from './ports.js'

describe('pre-flight port checks', () => {
  let server: Server | undefined
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

  async function listen(): Promise<number> {
    server = createServer()
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return (server.address() as {port: number}).port
  }

  it('names a busy port, its service and the holder (this very process)', async () => {
    const port = await listen()
    expect(portHolder(port)).toMatch(new RegExp(`^pid ${process.pid} \\(.+\\)$`))
    await expect(checkPortsFree([{port, service: 'control plane'}])).rejects.toThrow(`port ${port} (control plane) is in use by pid ${process.pid}`)
  })

  it('passes free ports', async () => {
    const port = await listen()
    await new Promise<void>((resolve) => server!.close(() => resolve()))
    server = undefined
    await expect(checkPortsFree([{port, service: 'issuer'}])).resolves.toBeUndefined()
  })
})
