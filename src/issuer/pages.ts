/** The few HTML pages a person sees at the development issuer: enter the device code, confirm it, log in, done. */
const STYLE = 'body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#222}h1{font-weight:400}input{display:block;width:100%;margin:.4rem 0 .8rem;padding:.5rem;box-sizing:border-box}button{padding:.5rem 1.2rem}.err{color:#b00020}small{color:#666}code{font-size:1.6rem}'

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c]!)
}

export function page(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body}<p><small>Prism development issuer (Dex-compatible). Test users only.</small></p></body></html>`
}

/** `form` is oidc-provider's own <form id="op.deviceInputForm"> with its hidden fields. */
export function deviceInputPage(form: string, error?: string): string {
  const message = error ? `<p class="err">${escapeHtml(error)}</p>` : '<p>Enter the code shown by prismctl.</p>'
  return page('Log in to Prism', `${message}${form}<button type="submit" form="op.deviceInputForm">Continue</button>`)
}

export function deviceConfirmPage(form: string, client: string, userCode: string): string {
  return page(
    'Confirm the device',
    `<p><strong>${escapeHtml(client)}</strong> shows the code</p><p><code>${escapeHtml(userCode)}</code></p>${form}` +
      '<button type="submit" form="op.deviceConfirmForm">Continue</button> <button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">Abort</button>',
  )
}

export function loginPage(action: string, error?: string, email = ''): string {
  return page(
    'Log in with email',
    `${error ? `<p class="err">${escapeHtml(error)}</p>` : ''}<form id="login" method="post" action="${escapeHtml(action)}">` +
      `<label>Email<input type="email" name="login" value="${escapeHtml(email)}" autofocus required></label>` +
      '<label>Password<input type="password" name="password" required></label><button type="submit">Log in</button></form>',
  )
}

export function successPage(): string {
  return page('Sign-in Success', '<p>You are logged in. Return to your terminal.</p>')
}
