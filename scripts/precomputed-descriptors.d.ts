// Types for the build plugin's pure parts, which test/build/precomputed-descriptors.test.ts checks.
export function messageLiteral(message: object, prototypes: Map<string, {index: number; literal: string}>): string
export function literalPrelude(prototypes: Map<string, {index: number; literal: string}>): string
export function precomputeFile(source: string, decode: (b64: string) => object): string
export function patchFileDesc(source: string): string
export function patchWktIndex(source: string): string
export function precomputedDescriptors(root: string): {name: string; setup(build: unknown): void}
