/** The error a unit test expects, as a PrismError to assert on; anything else fails the test where it happened. */
import {expect} from 'vitest'

import {PrismError} from '../../src/errors.js'

export function thrown(fn: () => unknown): PrismError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(PrismError)
    return err as PrismError
  }
  throw new Error('expected a PrismError, but nothing was thrown')
}

export async function rejection(promise: Promise<unknown>): Promise<PrismError> {
  const err = await promise.then(
    () => {
      throw new Error('expected a PrismError, but the promise resolved')
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(PrismError)
  return err as PrismError
}
