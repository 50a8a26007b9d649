// oidc-provider ships no types and @types/oidc-provider is not installed; this is the surface we use.
declare module 'oidc-provider' {
  import type {IncomingMessage, ServerResponse} from 'node:http'

  export interface InteractionDetails {
    uid: string
    prompt: {name: string; reasons: string[]; details: Record<string, unknown>}
    params: Record<string, unknown>
    session?: {accountId?: string}
    grantId?: string
  }

  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    issuer: string
    proxy: boolean
    callback(): (req: IncomingMessage, res: ServerResponse) => void
    use(middleware: (ctx: any, next: () => Promise<void>) => Promise<void>): void
    on(event: string, listener: (...args: any[]) => void): void
    registerGrantType(name: string, handler: (ctx: any) => Promise<void>, params?: Set<string> | string[]): void
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: {mergeWithLastSubmission?: boolean}): Promise<void>
    Grant: any
    AccessToken: any
    RefreshToken: any
    IdToken: any
    Client: any
  }
  export const errors: {InvalidGrant: new (description: string) => Error; InvalidRequest: new (description: string) => Error}
  export default Provider
}
