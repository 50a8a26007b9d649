// Types for scripts/descriptor-literals.js, which test/build/precomputed-descriptors.test.ts checks.
import type {DescFile} from '@bufbuild/protobuf'

export function literalPrelude(prototypes: Map<string, {index: number; literal: string}>): string
export function descFileExpression(file: DescFile, imports: DescFile[], prototypes: Map<string, {index: number; literal: string}>): string
export function sameGraph(real: DescFile, rebuilt: DescFile, imports: DescFile[]): void
