// The local OpenID provider: a real one (the certified `oidc-provider` package), so that the console's
// sign-in runs locally and in the tests exactly as it runs against the department's provider in
// production — authorization code with PKCE, RS256 JWT access tokens for the suite's audience.
//
// It is for development only: its users are the demo users of a JSON file with one shared password.
// Configuration, from the environment:
//   IDP_ISSUER         its own URL, e.g. http://127.0.0.1:8010 (it listens on that host and port)
//   IDP_REDIRECT_URIS  the console's sign-in callbacks, comma-separated
//   IDP_PASSWORD       the demo users' password (required: nothing is signed in without one)
//   IDP_USERS          the users file (default: users.json beside this file)
//   IDP_STATE          a directory for its signing key, kept across restarts (default: none, a new key)
//   IDP_AUDIENCE       the access tokens' audience (default: cadre-suite)
//   IDP_TOKEN_TTL      an access token's life in seconds (default: 3600); a user of the users file
//                      may have a shorter one of their own (token_seconds), to see a token expire
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const here = dirname(fileURLToPath(import.meta.url));
const env = process.env;
const issuer = env.IDP_ISSUER || 'http://127.0.0.1:8010';
const audience = env.IDP_AUDIENCE || 'cadre-suite';
const resource = `urn:${audience}`;
const tokenSeconds = Number(env.IDP_TOKEN_TTL || 3600);
const password = env.IDP_PASSWORD;
if (!password) {
  console.error('idp: IDP_PASSWORD is not set');
  process.exit(2);
}
const redirectUris = (env.IDP_REDIRECT_URIS || 'http://127.0.0.1:8000/console/callback')
  .split(',').map((uri) => uri.trim()).filter(Boolean);
const users = new Map(
  JSON.parse(readFileSync(env.IDP_USERS || join(here, 'users.json'), 'utf8')).users
    .map((user) => [user.username, user]),
);

async function signingKey() {
  const file = env.IDP_STATE && join(env.IDP_STATE, 'signing-key.json');
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig',
    kid: randomBytes(8).toString('hex') };
  if (file) {
    mkdirSync(env.IDP_STATE, { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  }
  return jwk;
}

const passwordMatches = (given) => {
  const a = Buffer.from(String(given ?? ''));
  const b = Buffer.from(password);
  return a.length === b.length && timingSafeEqual(a, b);
};

const escape = (text) => String(text).replace(/[&<>"']/g,
  (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

const loginPage = (uid, failed, username = '') => `<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>登录 · 干部激励系统</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/idp.css"></head>
<body><main>
<h1>干部激励系统 · 统一身份认证</h1>
<p class="hint">本地开发用身份提供方（演示用户）。Local development identity provider.</p>
${failed ? '<p class="error" role="alert">用户名或密码不正确 · Wrong user name or password</p>' : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
<label for="username">用户名 · User name</label>
<input id="username" name="username" required autofocus value="${escape(username)}">
<label for="password">密码 · Password</label>
<input id="password" name="password" type="password" required>
<button type="submit">登录 · Sign in</button>
</form></main></body></html>`;

const STYLE = `body{font-family:system-ui,sans-serif;background:#f0f2f5;margin:0}
main{max-width:360px;margin:10vh auto;background:#fff;padding:32px;border-radius:8px;
box-shadow:0 2px 12px rgba(0,0,0,.1)}h1{font-size:20px;margin:0 0 8px}
.hint{color:#606266;font-size:13px}.error{color:#c45656}
label{display:block;margin:16px 0 4px;font-size:14px}
input{width:100%;box-sizing:border-box;padding:8px;font-size:14px;border:1px solid #dcdfe6;border-radius:4px}
button{margin-top:24px;width:100%;padding:10px;font-size:15px;background:#409eff;color:#fff;border:0;
border-radius:4px;cursor:pointer}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.IDP_CLIENT_ID || 'cadre-console',
    token_endpoint_auth_method: 'none', // a browser holds no secret: PKCE instead
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: redirectUris,
    post_logout_redirect_uris: redirectUris.map((uri) => uri.replace(/callback$/, '')),
  }],
  jwks: { keys: [await signingKey()] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: { openid: ['sub'], profile: ['name'] },
  scopes: ['openid', 'profile'],
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'suite',
        audience,
        accessTokenTTL: tokenSeconds,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((uri) => new URL(uri).origin === origin),
  extraTokenClaims: (ctx, token) => {
    const user = users.get(token.accountId);
    if (!user) return undefined;
    return { roles: user.roles, ...(user.unit_id && { unit_id: user.unit_id }),
      ...(user.cadre_id && { cadre_id: user.cadre_id }) };
  },
  findAccount: (ctx, id) => {
    const user = users.get(id);
    return user && { accountId: id, claims: () => ({ sub: id, name: user.name }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: (ctx, token) => users.get(token.accountId)?.token_seconds || tokenSeconds,
    Session: 8 * 3600, Interaction: 3600, Grant: 8 * 3600, IdToken: 3600, AuthorizationCode: 60 },
  renderError: (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>登录出错</title></head>
<body><h1>登录出错 · Sign-in error</h1><p>${escape(out.error)}: ${escape(out.error_description ?? '')}</p></body></html>`;
  },
});
provider.proxy = false;

async function form(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// the consent every demo user gives the console at once: it asked for nothing else
async function consent(details) {
  const { prompt: { details: missing }, params, session: { accountId } } = details;
  const grant = details.grantId ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/idp.css') {
    ctx.type = 'text/css';
    ctx.body = STYLE;
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([\w-]+)(\/login)?$/);
  if (!match) return next();
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Content-Security-Policy', "default-src 'self'; frame-ancestors 'none'");
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== match[1]) ctx.throw(400);
  if (details.prompt.name === 'consent') {
    await provider.interactionFinished(ctx.req, ctx.res, await consent(details),
      { mergeWithLastSubmission: true });
    return;
  }
  if (ctx.method === 'POST' && match[2]) {
    const body = await form(ctx);
    const username = body.get('username') || '';
    if (!users.has(username) || !passwordMatches(body.get('password'))) {
      ctx.status = 401;
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, true, username);
      return;
    }
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: username } },
      { mergeWithLastSubmission: false });
    return;
  }
  ctx.type = 'html';
  ctx.body = loginPage(details.uid, false);
});

const { hostname, port } = new URL(issuer);
provider.listen(Number(port || 80), hostname, () => {
  console.log(`idp: ${issuer} (users: ${[...users.keys()].join(', ')})`);
});
