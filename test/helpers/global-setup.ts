import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

// End-to-end tests spawn the built CLI: without a build they would all fail with the same unhelpful error.
export default function setup(): void {
  const bundle = fileURLToPath(new URL('../../dist/load.cjs', import.meta.url))
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "npm run build" first (npm test does it for you)`)
}
