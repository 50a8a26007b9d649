// oidc-provider ships no types and @types/oidc-provider is not installed; the test helper uses a small surface.
declare module 'oidc-provider' {
  export class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>)
    issuer: string
    proxy: boolean
    callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void
    use(middleware: (ctx: any, next: () => Promise<void>) => Promise<void>): void
    on(event: string, listener: (...args: any[]) => void): void
    registerGrantType(name: string, handler: (ctx: any) => Promise<void>, params?: Set<string> | string[]): void
    Grant: any
    AccessToken: any
    RefreshToken: any
    IdToken: any
    Client: any
  }
  export const errors: {InvalidGrant: new (description: string) => Error; InvalidRequest: new (description: string) => Error}
  export default Provider
}
