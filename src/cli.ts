/**
 * The bundle entry (scripts/build.js): the oclif runtime plus every command, in one file so that startup reads one
 * module instead of hundreds. Heavy dependencies stay outside and are imported by the commands that use them.
 */
import {execute, type Command, type Hook} from '@oclif/core'

import {expandBareDryRun, expandTopicAlias} from './cli/aliases.js'

/**
 * oclif reads COMMANDS[id] only for the command being run (help comes from the manifest), so each command's module
 * graph is initialised on first access: in the CommonJS bundle, esbuild turns these require() calls into lazy
 * module initialisers, and `prismctl validate` never initialises the control plane or the gRPC descriptors.
 */
const LOADERS: Record<string, () => {default: typeof Command}> = {
  'admin:serve': () => require('./commands/admin/serve.js'),
  'apply': () => require('./commands/apply.js'),
  'audit:list': () => require('./commands/audit/list.js'),
  'auth:token': () => require('./commands/auth/token.js'),
  'backend:delete': () => require('./commands/backend/delete.js'),
  'backend:diff': () => require('./commands/backend/diff.js'),
  'backend:get': () => require('./commands/backend/get.js'),
  'backend:list': () => require('./commands/backend/list.js'),
  'backend:register': () => require('./commands/backend/register.js'),
  'backend:update': () => require('./commands/backend/update.js'),
  'backend:validate': () => require('./commands/backend/validate.js'),
  'completion': () => require('./commands/completion.js'),
  'consume': () => require('./commands/consume.js'),
  'context:current': () => require('./commands/context/current.js'),
  'context:delete': () => require('./commands/context/delete.js'),
  'context:list': () => require('./commands/context/list.js'),
  'context:set': () => require('./commands/context/set.js'),
  'context:use': () => require('./commands/context/use.js'),
  'convert': () => require('./commands/convert.js'),
  'delete': () => require('./commands/delete.js'),
  'dev:down': () => require('./commands/dev/down.js'),
  'dev:issuer': () => require('./commands/dev/issuer.js'),
  'dev:logs': () => require('./commands/dev/logs.js'),
  'dev:reset': () => require('./commands/dev/reset.js'),
  'dev:run-embedded': () => require('./commands/dev/run-embedded.js'),
  'dev:status': () => require('./commands/dev/status.js'),
  'dev:up': () => require('./commands/dev/up.js'),
  'diff': () => require('./commands/diff.js'),
  'get': () => require('./commands/get.js'),
  'help': () => require('./commands/help.js'),
  'kv:capabilities': () => require('./commands/kv/capabilities.js'),
  'kv:delete': () => require('./commands/kv/delete.js'),
  'kv:exists': () => require('./commands/kv/exists.js'),
  'kv:get': () => require('./commands/kv/get.js'),
  'kv:scan': () => require('./commands/kv/scan.js'),
  'kv:set': () => require('./commands/kv/set.js'),
  'kv:ttl': () => require('./commands/kv/ttl.js'),
  'login': () => require('./commands/login.js'),
  'logout': () => require('./commands/logout.js'),
  'mailbox:get': () => require('./commands/mailbox/get.js'),
  'mailbox:query': () => require('./commands/mailbox/query.js'),
  'namespace:apply': () => require('./commands/namespace/apply.js'),
  'namespace:create': () => require('./commands/namespace/create.js'),
  'namespace:delete': () => require('./commands/namespace/delete.js'),
  'namespace:diff': () => require('./commands/namespace/diff.js'),
  'namespace:get': () => require('./commands/namespace/get.js'),
  'namespace:list': () => require('./commands/namespace/list.js'),
  'namespace:validate': () => require('./commands/namespace/validate.js'),
  'proxy:serve': () => require('./commands/proxy/serve.js'),
  'proxy:status': () => require('./commands/proxy/status.js'),
  'publish': () => require('./commands/publish.js'),
  'session:get': () => require('./commands/session/get.js'),
  'session:kill': () => require('./commands/session/kill.js'),
  'session:list': () => require('./commands/session/list.js'),
  'validate': () => require('./commands/validate.js'),
  'whoami': () => require('./commands/whoami.js'),
}

export const COMMANDS: Record<string, typeof Command> = {}
for (const [id, load] of Object.entries(LOADERS)) {
  Object.defineProperty(COMMANDS, id, {enumerable: true, get: () => load().default})
}

/**
 * The command_not_found hook, found here by oclif (package.json's oclif.hooks names this bundle and this export).
 * Its module is initialised only when the hook fires, like a command's. (oclif's settings live in package.json, not
 * in an oclif.config.js: finding and importing that file cost every start a search and an ES module load.)
 */
export const commandNotFound: Hook<'command_not_found'> = function (options) {
  return (require('./cli/command-not-found.js') as typeof import('./cli/command-not-found.js')).commandNotFound.call(this, options)
}

// Lowercase letters, ':' and '-': where code-unit order and ICU's root collation agree ('-' < ':' < 'a' … 'z').
const COMMAND_ID = /^[a-z:-]*$/

/**
 * oclif sorts the command ids with localeCompare while it loads its config, and the first localeCompare of a process
 * loads ICU's collation data: 5-20 ms of every start here. For strings like command ids the plain comparison gives
 * the same answer, so it is used for them during the run; anything else still goes to ICU.
 */
async function withCheapIdCompare(fn: () => Promise<unknown>): Promise<void> {
  const localeCompare = String.prototype.localeCompare
  String.prototype.localeCompare = function (this: string, that: string, ...rest: unknown[]): number {
    if (rest.length > 0 || !COMMAND_ID.test(this) || !COMMAND_ID.test(that)) return localeCompare.call(this, that, ...(rest as []))
    return this < that ? -1 : this > that ? 1 : 0
  }
  try {
    await fn()
  } finally {
    String.prototype.localeCompare = localeCompare
  }
}

/** `dir`: the package root (where package.json holds oclif's settings). */
export async function run(dir: string): Promise<void> {
  await withCheapIdCompare(() => execute({dir, args: expandBareDryRun(expandTopicAlias(process.argv.slice(2)))}))
}
