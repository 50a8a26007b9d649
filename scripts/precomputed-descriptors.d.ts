// Types for the build plugin's pure parts, which test/build/precomputed-descriptors.test.ts checks.
import type {DescFile} from '@bufbuild/protobuf'

export function precomputeFile(source: string, descFile: (b64: string, ids: string[]) => {file: DescFile; imports: DescFile[]}): string
export function buildTimeDescFiles(root: string): Promise<(b64: string, ids: string[]) => {file: DescFile; imports: DescFile[]}>
export function patchFileDesc(source: string): string
export function patchWktIndex(source: string): string
export function precomputedDescriptors(root: string): {name: string; setup(build: unknown): void}
