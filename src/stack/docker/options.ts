/** The Docker stack's choices from flags and environment: which services, which images. */
import {usageError} from '../../errors.js'
import {parseServiceList, selectServices, SERVICES, type ServiceName} from './services.js'

export const DEFAULT_STACK = 'dev'
const STACK_NAME = /^[a-z0-9][a-z0-9_-]{0,30}$/

export function checkStackName(name: string): string {
  if (!STACK_NAME.test(name)) throw usageError(`invalid --stack "${name}"`, 'Use lower-case letters, digits, "-" and "_" (at most 31), starting with a letter or digit.')
  return name
}

/**
 * Image overrides: PRISM_DEV_IMAGE_<SERVICE> first, then each --image SERVICE=REF (the flag wins). An override of
 * admin or proxy replaces the runtime image for that service only.
 */
export function imageOverrides(flags: string[] | undefined, env: NodeJS.ProcessEnv = process.env): Partial<Record<ServiceName, string>> {
  const images: Partial<Record<ServiceName, string>> = {}
  for (const service of SERVICES) {
    const value = env[`PRISM_DEV_IMAGE_${service.toUpperCase()}`]
    if (value) images[service] = value
  }
  for (const flag of flags ?? []) {
    const eq = flag.indexOf('=')
    const service = flag.slice(0, eq)
    const ref = flag.slice(eq + 1)
    if (eq <= 0 || !ref) throw usageError(`--image "${flag}" is not SERVICE=REF`, 'e.g. --image redis=redis:7.4-alpine')
    if (!(SERVICES as readonly string[]).includes(service)) throw usageError(`--image: unknown service "${service}"`, `Services: ${SERVICES.join(', ')}.`)
    images[service as ServiceName] = ref
  }
  return images
}

export function chosenServices(services: string | undefined, without: string | undefined): ServiceName[] {
  return selectServices(services ? parseServiceList(services, '--services') : undefined, without ? parseServiceList(without, '--without') : [])
}
