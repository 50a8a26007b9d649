/**
 * librdkafka's mock cluster (Debian's python3-confluent-kafka, run with Debian's /usr/bin/python3 so the Debian module
 * is found), started by kafka-mock.py: a Kafka-protocol test peer, not a Kafka. It speaks enough of the protocol for
 * kafkajs to produce, consume in groups and commit offsets; it has no controller (no idempotent producer, no
 * CreateTopics), auto-creates topics with 4 partitions, and waits about 3 s before a group's first rebalance.
 */
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export interface KafkaMock {
  /** host:port of the mock broker. */
  broker: string
  stop(): Promise<void>
}

const SCRIPT = fileURLToPath(new URL('kafka-mock.py', import.meta.url))

export async function startKafkaMock(): Promise<KafkaMock> {
  const child = spawn('/usr/bin/python3', [SCRIPT], {stdio: ['pipe', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const broker = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n')[0]
      if (out.includes('\n') && line) resolve(line.trim())
    })
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the Kafka mock exited (${code}) before reporting its address: ${stderr}`)))
  })
  return {
    broker,
    async stop() {
      child.stdin.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    },
  }
}
