// Fetching from the dashboard's endpoints with the signed-in token, and the sign-in form.
const TOKEN_KEY = 'otlp2delta.token';
// Remembered per tab: whether the server answered that it needs no token.
const OPEN_KEY = 'otlp2delta.open';

export class AuthNeeded extends Error {}

function headers() {
  const t = sessionStorage.getItem(TOKEN_KEY);
  return t ? { authorization: `Bearer ${t}` } : {};
}

export async function getJson(url) {
  const res = await fetch(url, { headers: headers() });
  if (res.status === 401 || (res.status === 403 && !sessionStorage.getItem(TOKEN_KEY))) throw new AuthNeeded((await res.json()).message);
  const body = await res.json();
  if (!res.ok) {
    if (res.status === 403 && /token/i.test(body.message)) throw new AuthNeeded(body.message);
    throw new Error(body.message || `HTTP ${res.status}`);
  }
  return body;
}

/** Downloads a CSV endpoint with the token (a plain link could not send it). */
export async function download(url, name) {
  const res = await fetch(url, { headers: headers() });
  if (!res.ok) throw new Error(`download failed: HTTP ${res.status}`);
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/** Throws AuthNeeded when the server wants a token and has none good from this tab. */
export async function checkSignIn() {
  const a = await (await fetch('/dashboard/api/auth', { headers: headers() })).json();
  sessionStorage.setItem(OPEN_KEY, a.required ? '' : 'yes');
  if (a.required && !a.signedIn) throw new AuthNeeded(a.message);
  return a;
}

/**
 * True when a request may go out alongside the sign-in check: a token is held,
 * or this server was seen to need none. Otherwise the request would only draw
 * a 401 that the browser reports as an error.
 */
export function mayAskBeforeSignIn() {
  return Boolean(sessionStorage.getItem(TOKEN_KEY) || sessionStorage.getItem(OPEN_KEY));
}

/** The sign-out button shows while this tab holds a token; it forgets the token and starts over. */
function showSignOut() {
  const button = document.getElementById('signout');
  if (!button) return;
  button.hidden = !sessionStorage.getItem(TOKEN_KEY);
  button.onclick = () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(OPEN_KEY);
    location.reload();
  };
}
showSignOut();

/** Shows the sign-in form; `retry` runs after a token was entered. */
export function askForToken(message, retry) {
  const form = document.getElementById('signin');
  form.hidden = false;
  document.getElementById('signin-error').textContent = sessionStorage.getItem(TOKEN_KEY) ? message : '';
  form.onsubmit = (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, form.elements.token.value.trim());
    form.hidden = true;
    showSignOut();
    retry();
  };
}
