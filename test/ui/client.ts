// A tiny dashboard client for HTTP tests: signs in with an API key as a browser would (the sign-in
// form's token and cookie, then the session cookie) and reads the CSRF token of a page's forms.
export interface UiClient {
  cookie: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  csrf(path?: string): Promise<string>;
}

/** Cookies of a response's Set-Cookie headers as name=value pairs. */
export const setCookies = (res: Response): string[] => res.headers.getSetCookie();

const pair = (setCookie: string): string => setCookie.split(';')[0]!;

/** The hidden field's value in a page (the first one of that name). */
export function field(page: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!m) throw new Error(`no ${name} field in the page`);
  return m[1]!;
}

export async function signinForm(url: string): Promise<{ token: string; cookie: string }> {
  const res = await fetch(`${url}/ui/signin`);
  return { token: field(await res.text(), '_signin'), cookie: pair(setCookies(res)[0]!) };
}

export async function postForm(url: string, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url + path, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

export async function signIn(url: string, key: string): Promise<UiClient> {
  const form = await signinForm(url);
  const res = await postForm(url, '/ui/signin', { _signin: form.token, key }, { cookie: form.cookie });
  if (res.status !== 303) throw new Error(`sign-in: ${res.status}`);
  const cookie = pair(setCookies(res).find((c) => c.startsWith('updraft_session='))!);
  const client: UiClient = {
    cookie,
    get: (path, headers = {}) => fetch(url + path, { redirect: 'manual', headers: { cookie, ...headers } }),
    post: (path, f, headers = {}) => postForm(url, path, f, { cookie, ...headers }),
    async csrf(path = '/ui') {
      return field(await (await client.get(path)).text(), '_csrf');
    },
  };
  return client;
}
