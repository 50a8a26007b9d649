#!/usr/bin/env node
// Development entry: rebuilds the bundle from src/ (esbuild, well under a second; no manifest or code cache), then runs it.
import {execFileSync} from 'node:child_process'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.js', import.meta.url)), '--quick'], {stdio: 'inherit'})
const {run} = createRequire(import.meta.url)('../dist/load.cjs')
await run(import.meta.url)
