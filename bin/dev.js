#!/usr/bin/env node
// Development entry: rebuilds the bundle from src/ (esbuild, well under a second), then runs it.
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.js', import.meta.url)), '--no-manifest'], {stdio: 'inherit'})
const {run} = await import('../dist/cli.js')
await run(import.meta.url)
