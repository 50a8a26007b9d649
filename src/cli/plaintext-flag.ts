/** --insecure-plaintext, for every command that talks to a server with a bearer (src/api/channel.ts says why). */
import {Flags} from '@oclif/core'

export const insecurePlaintextFlag = Flags.boolean({
  description: 'Send the bearer token without TLS to a non-loopback address (anyone on the path can read it); also PRISM_INSECURE_PLAINTEXT=1',
  helpGroup: 'GLOBAL',
})
