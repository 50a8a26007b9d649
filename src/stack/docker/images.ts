/** Pulling the stack's images per --pull, with one progress line per image and status change. */
import type Dockerode from 'dockerode'

import {PrismError} from '../../errors.js'

export type PullPolicy = 'missing' | 'always' | 'never'

interface PullEvent {
  status?: string
  id?: string
  error?: string
  errorDetail?: {message?: string}
}

/** An explicit tag always: without one the API pulls every tag of the repository. */
function withTag(ref: string): string {
  const lastSegment = ref.slice(ref.lastIndexOf('/') + 1)
  return lastSegment.includes(':') || ref.includes('@') ? ref : `${ref}:latest`
}

export async function pullImage(docker: Dockerode, ref: string, policy: PullPolicy, progress: (text: string, item?: string) => void): Promise<void> {
  if (policy === 'never') {
    throw new PrismError(`the image ${ref} is not present and --pull never forbids pulling it`, {
      code: 'FAILED_PRECONDITION',
      hint: `Pull or build it yourself (docker pull ${ref}), point the service at a local image (--image SERVICE=REF, or --base-image REF for the runtime image's base), or allow pulling: --pull missing.`,
    })
  }
  progress('pulling', ref)
  let last = ''
  try {
    const stream = await docker.pull(withTag(ref))
    const events = await new Promise<PullEvent[]>((resolve, reject) => {
      docker.modem.followProgress(stream, (err: Error | null, output: PullEvent[]) => (err ? reject(err) : resolve(output)), (event: PullEvent) => {
        // Layer-level events are many; one line per change of the image's overall status is enough.
        if (!event.id || event.status?.startsWith('Pulling from')) return
        if (event.status && event.status !== last && /Download complete|Pull complete|Already exists|Digest|Status/.test(event.status)) {
          last = event.status
          progress(event.status, ref)
        }
      })
    })
    // docker-modem 5 reports a failed pull as events, not as an error.
    const failed = events.find((e) => e.error || e.errorDetail)
    if (failed) throw new Error(failed.errorDetail?.message ?? failed.error)
  } catch (err) {
    const e = err as {json?: {message?: string}; message?: string}
    throw new PrismError(`cannot pull ${ref}: ${(e.json?.message ?? e.message ?? String(err)).trim()}`, {
      code: 'UNAVAILABLE',
      hint: `Check the network and registry login (docker pull ${ref}), or use an image that is present: --image SERVICE=REF (or PRISM_DEV_IMAGE_<SERVICE>), --base-image REF.`,
      cause: err,
    })
  }
  progress('pulled', ref)
}
