import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join, relative} from 'node:path'

import {afterAll, expect, it} from 'vitest'

const root = join(import.meta.dirname, '..')
const out = mkdtempSync(join(tmpdir(), 'prism-codegen-'))
afterAll(() => rmSync(out, {recursive: true, force: true}))

function files(dir: string): string[] {
  return readdirSync(dir, {recursive: true, withFileTypes: true})
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort()
}

// The committed src/gen must be exactly what buf generates from proto/ (a stale copy would silently disagree
// with the contract). buf's -o prefixes the template's `out: src/gen`.
it('src/gen matches a fresh buf generate of proto/', () => {
  const bin = join(root, 'node_modules/.bin')
  const r = spawnSync(join(bin, 'buf'), ['generate', '-o', out], {cwd: root, encoding: 'utf8', env: {...process.env, PATH: `${bin}${delimiter}${process.env.PATH}`}})
  expect(r.stderr).toBe('')
  expect(r.status).toBe(0)
  const fresh = join(out, 'src/gen')
  const committed = join(root, 'src/gen')
  expect(files(fresh)).toEqual(files(committed))
  for (const f of files(committed)) {
    expect(readFileSync(join(fresh, f), 'utf8'), `src/gen/${f} is stale: run npm run generate`).toBe(readFileSync(join(committed, f), 'utf8'))
  }
})
