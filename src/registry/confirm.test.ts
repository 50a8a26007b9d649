import {describe, expect, it} from 'vitest'

import {confirmDestructive} from './confirm.js'

describe('confirmDestructive', () => {
  it('goes ahead with --yes, without asking', async () => {
    await expect(confirmDestructive('Delete?', 'delete namespace "x"', {yes: true, interactive: false})).resolves.toBeUndefined()
  })

  it('never prompts without a terminal: a usage error naming --yes', async () => {
    await expect(confirmDestructive('Delete?', 'delete namespace "x"', {interactive: false})).rejects.toMatchObject({
      exitCode: 2,
      message: 'refusing to delete namespace "x" without confirmation: there is no terminal to ask on',
      hint: 'Pass --yes to confirm.',
    })
  })
})
