#!/usr/bin/env node
// Development entry: rebuilds the bundle from src/ (esbuild, well under a second; no manifest or code cache), then runs it.
'use strict'
const {execFileSync} = require('node:child_process')
const {join} = require('node:path')

execFileSync(process.execPath, [join(__dirname, '../scripts/build.js'), '--quick'], {stdio: 'inherit'})
require('../dist/load.cjs').run(join(__dirname, '..'))
