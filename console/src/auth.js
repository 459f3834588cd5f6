// Sign-in: OpenID Connect authorization code with PKCE (oidc-client-ts). The tokens live in this page's
// memory only; the sign-in state (the PKCE verifier) is in sessionStorage for the one redirect. When a
// token expires the page saves what was typed (drafts.js), signs in again and comes back to it.
import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { reactive } from 'vue';

import { saveDrafts } from './drafts.js';

let manager = null;
export const session = reactive({ user: null, profile: null, roles: [], unitId: null, cadreId: null });

function base() {
  return `${window.location.origin}${import.meta.env.BASE_URL}`;
}

export function startAuth(config) {
  manager = new UserManager({
    authority: config.issuer,
    client_id: config.client_id,
    redirect_uri: `${base()}callback`,
    post_logout_redirect_uri: base(),
    response_type: 'code',
    scope: config.scopes,
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
    automaticSilentRenew: false,
    loadUserInfo: false,
  });
}

// the claims of the access token the gateway reads: roles, unit_id, cadre_id (not checked here: the
// gateway and the services check it; the page only shapes its menus by it)
export function claimsOf(accessToken) {
  try {
    const part = accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const text = new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0)));
    return JSON.parse(text);
  } catch {
    return {};
  }
}

function remember(user) {
  const claims = claimsOf(user.access_token);
  Object.assign(session, {
    user,
    profile: user.profile,
    roles: Array.isArray(claims.roles) ? claims.roles : [],
    unitId: claims.unit_id || null,
    cadreId: claims.cadre_id || null,
  });
}

export function signedIn() {
  return Boolean(session.user && !session.user.expired);
}

export function accessToken() {
  return signedIn() ? session.user.access_token : null;
}

export function hasRole(...roles) {
  return roles.some((role) => session.roles.includes(role));
}

export async function signIn(returnTo) {
  saveDrafts();
  await manager.signinRedirect({ state: { returnTo } });
}

export async function finishSignIn() {
  const user = await manager.signinRedirectCallback();
  remember(user);
  return user.state?.returnTo || '/';
}

export async function signOut() {
  const idToken = session.user?.id_token;
  Object.assign(session, { user: null, profile: null, roles: [], unitId: null, cadreId: null });
  await manager.removeUser();
  await manager.signoutRedirect({ id_token_hint: idToken });
}
