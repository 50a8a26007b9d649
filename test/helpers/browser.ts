/**
 * Does in a browser's place what a person does at an OIDC provider's pages, over plain HTTP: a cookie jar and a
 * form driver, and the device-code approval at the dev stack's issuer (Dex-style paths under the issuer).
 */
/** A tiny cookie jar + form driver: enough for oidc-provider's device and dev-interaction pages. */
export class Browser {
  private cookies = new Map<string, string>()

  async request(url: string, form?: Record<string, string>): Promise<{url: string; html: string}> {
    let current = url
    let body: URLSearchParams | undefined = form ? new URLSearchParams(form) : undefined
    for (let hop = 0; hop < 20; hop++) {
      const res = await fetch(current, {
        method: body ? 'POST' : 'GET',
        body,
        redirect: 'manual',
        headers: {cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(body ? {'content-type': 'application/x-www-form-urlencoded'} : {})},
      })
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';')
        const eq = pair!.indexOf('=')
        this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1))
      }
      const location = res.headers.get('location')
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel()
        current = new URL(location, current).href
        body = undefined
        continue
      }
      const html = await res.text()
      if (res.status >= 400) throw new Error(`HTTP ${res.status} at ${current}: ${html.slice(0, 300)}`)
      return {url: current, html}
    }
    throw new Error('too many redirects')
  }
}

export function formFields(html: string, formId?: string): {action?: string; fields: Record<string, string>} {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)]
  const form = formId ? forms.find((f) => f[1]!.includes(`id="${formId}"`)) : forms[0]
  if (!form) throw new Error(`no form ${formId ?? ''} in page: ${html.slice(0, 300)}`)
  const action = /action="([^"]*)"/.exec(form[1]!)?.[1]
  const fields: Record<string, string> = {}
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/g)) {
    const name = /name="([^"]*)"/.exec(input[1]!)?.[1]
    const value = /value="([^"]*)"/.exec(input[1]!)?.[1]
    if (name && /type="hidden"/.test(input[1]!)) fields[name] = value ?? ''
  }
  return {action, fields}
}

/**
 * Approves a device code at the development issuer (src/issuer/): enter the code at {issuer}/device, confirm,
 * log in with email and password. Throws with the page text when a step does not go as a person would see it.
 */
export async function approveDexDevice(issuer: string, userCode: string, email: string, password: string): Promise<void> {
  const browser = new Browser()
  let page = await browser.request(`${issuer}/device`)
  const input = formFields(page.html, 'op.deviceInputForm')
  page = await browser.request(new URL(input.action!, page.url).href, {...input.fields, user_code: userCode})
  const confirm = formFields(page.html, 'op.deviceConfirmForm')
  page = await browser.request(new URL(confirm.action!, page.url).href, {...confirm.fields, confirm: 'yes'})
  const login = formFields(page.html, 'login')
  page = await browser.request(new URL(login.action!, page.url).href, {login: email, password})
  if (!/Sign-in Success/.test(page.html)) throw new Error(`device approval did not finish at ${page.url}: ${page.html.slice(0, 300)}`)
}
