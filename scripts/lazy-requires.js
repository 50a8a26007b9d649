// An esbuild plugin for bundling dockerode: two of its top-level requires load what only some engines or builds
// need (ssh2, for ssh:// engines; grpc-js and proto-loader, for BuildKit sessions), about 250 ms of every start.
// Each is turned into a function that requires its module on first call. ssh2 then loads from node_modules;
// BuildKit sessions (buildImage with version "2") would not work from the bundle (their .proto files are not in
// dist/), and dev up builds with the classic builder. A patch that no longer matches fails the build, so an
// upgrade of either package cannot quietly bring the cost back.
import {readFile} from 'node:fs/promises'

const PATCHES = [
  {file: /docker-modem[\\/]lib[\\/]modem\.js$/, from: "ssh = require('./ssh'),", to: "ssh = function () { return require('./ssh').apply(this, arguments) },"},
  {file: /dockerode[\\/]lib[\\/]docker\.js$/, from: "withSession = require('./session'),", to: "withSession = function () { return require('./session').apply(this, arguments) },"},
]

/** @returns {import('esbuild').Plugin} */
export function lazyRequires() {
  return {
    name: 'lazy-requires',
    setup(build) {
      const applied = new Set()
      build.onLoad({filter: /(docker-modem|dockerode)[\\/]lib[\\/](modem|docker)\.js$/}, async (args) => {
        let contents = await readFile(args.path, 'utf8')
        for (const patch of PATCHES.filter((p) => p.file.test(args.path))) {
          if (!contents.includes(patch.from)) throw new Error(`lazy-requires: "${patch.from}" not found in ${args.path}; update scripts/lazy-requires.js`)
          contents = contents.replace(patch.from, patch.to)
          applied.add(patch)
        }
        return {contents, loader: 'js'}
      })
      build.onEnd((result) => {
        if (result.errors.length === 0 && applied.size !== PATCHES.length) throw new Error('lazy-requires: not every patch was applied (did the bundle stop including dockerode?)')
      })
    },
  }
}
