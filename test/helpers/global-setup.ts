import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

// End-to-end tests spawn the built CLI; a stale or missing build would test the wrong code.
export default function setup(): void {
  const bundle = fileURLToPath(new URL('../../dist/load.cjs', import.meta.url))
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "npm run build" first (npm test does it for you)`)
}
