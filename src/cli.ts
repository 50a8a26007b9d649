/**
 * The bundle entry (scripts/build.js): the oclif runtime plus every command class, in one file so that startup
 * reads one module instead of hundreds. Heavy dependencies stay outside and are imported by the commands that
 * use them.
 */
import {execute} from '@oclif/core'

import ContextCurrent from './commands/context/current.js'
import ContextDelete from './commands/context/delete.js'
import ContextList from './commands/context/list.js'
import ContextSet from './commands/context/set.js'
import ContextUse from './commands/context/use.js'
import BackendValidate from './commands/backend/validate.js'
import Convert from './commands/convert.js'
import NamespaceValidate from './commands/namespace/validate.js'
import Validate from './commands/validate.js'
import AuthToken from './commands/auth/token.js'
import Login from './commands/login.js'
import Logout from './commands/logout.js'
import WhoAmI from './commands/whoami.js'

export const COMMANDS = {
  'context:current': ContextCurrent,
  'context:delete': ContextDelete,
  'context:list': ContextList,
  'context:set': ContextSet,
  'context:use': ContextUse,
  'backend:validate': BackendValidate,
  convert: Convert,
  'namespace:validate': NamespaceValidate,
  validate: Validate,
  'auth:token': AuthToken,
  login: Login,
  logout: Logout,
  whoami: WhoAmI,
}

export async function run(dir: string): Promise<void> {
  await execute({dir})
}
