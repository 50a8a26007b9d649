// Runs a TypeScript entry (benchmarks) by bundling it with esbuild into .bench/, packages left external.
import {build} from 'esbuild'
import {readFile} from 'node:fs/promises'
import {join, basename, dirname} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  process.stderr.write('usage: node scripts/run-ts.js FILE.ts [args…]\n')
  process.exit(2)
}

// Modules find files relative to themselves; in one bundle they must still see their own source location.
const keepModuleUrls = {
  name: 'keep-module-urls',
  setup(b) {
    b.onLoad({filter: /\.ts$/}, async ({path}) => ({
      contents: (await readFile(path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href)),
      loader: 'ts',
    }))
  },
}

const outfile = join(root, '.bench', `${basename(entry, '.ts')}.mjs`)
await build({
  entryPoints: [join(root, entry)],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  plugins: [keepModuleUrls],
  logLevel: 'warning',
})
process.argv = [process.argv[0], outfile, ...args]
await import(pathToFileURL(outfile).href)
