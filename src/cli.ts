/**
 * The bundle entry (scripts/build.js): the oclif runtime plus every command class, in one file so that startup
 * reads one module instead of hundreds. Heavy dependencies stay outside and are imported by the commands that
 * use them.
 */
import {execute} from '@oclif/core'

import AdminServe from './commands/admin/serve.js'
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
import Apply from './commands/apply.js'
import BackendDelete from './commands/backend/delete.js'
import BackendGet from './commands/backend/get.js'
import BackendList from './commands/backend/list.js'
import BackendRegister from './commands/backend/register.js'
import BackendUpdate from './commands/backend/update.js'
import NamespaceApply from './commands/namespace/apply.js'
import NamespaceCreate from './commands/namespace/create.js'
import NamespaceDelete from './commands/namespace/delete.js'
import NamespaceDiff from './commands/namespace/diff.js'
import NamespaceGet from './commands/namespace/get.js'
import NamespaceList from './commands/namespace/list.js'

export const COMMANDS = {
  'admin:serve': AdminServe,
  apply: Apply,
  'backend:delete': BackendDelete,
  'backend:get': BackendGet,
  'backend:list': BackendList,
  'backend:register': BackendRegister,
  'backend:update': BackendUpdate,
  'namespace:apply': NamespaceApply,
  'namespace:create': NamespaceCreate,
  'namespace:delete': NamespaceDelete,
  'namespace:diff': NamespaceDiff,
  'namespace:get': NamespaceGet,
  'namespace:list': NamespaceList,
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
