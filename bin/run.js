#!/usr/bin/env node
// Production entry, CommonJS (bin/package.json): an ES module entry costs every start Node's ES module loader, about
// 10-15 ms here. `--version` is answered without loading oclif: it is what scripts and health checks call most.
'use strict'
const {readFileSync} = require('node:fs')
const {join} = require('node:path')

const root = join(__dirname, '..')
const argv = process.argv.slice(2)
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  process.stdout.write(`prismctl/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // npm checks package.json's engines at install; oclif's own check would load semver on every start.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
  const cli = require('../dist/load.cjs')
  // The offline check, the command scripts run most, is answered without oclif when its command line is a plain one.
  if (argv[0] === 'validate' || argv[1] === 'validate') {
    cli.runFastValidate(argv).then((done) => done || cli.run(root))
  } else if (argv[1] === 'get' && ['namespace', 'ns', 'namespaces', 'backend', 'backends'].includes(argv[0])) {
    // And `namespace get` / `backend get`, the reads run most.
    cli.runFastGet(argv).then((done) => done || cli.run(root))
  } else {
    cli.run(root)
  }
}
