#!/usr/bin/env node
// Production entry. `--version` is answered without loading oclif: it is what scripts and health checks call most.
import {readFileSync} from 'node:fs'
import {createRequire} from 'node:module'

const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`prismctl/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const {run} = createRequire(import.meta.url)('../dist/load.cjs')
  await run(import.meta.url)
}
