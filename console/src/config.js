// What the console needs to know of its deployment, from the gateway (gateway/console.py): the
// identity provider's issuer, the console's client id and the scopes it asks for.
export const config = { issuer: '', client_id: 'cadre-console', scopes: 'openid profile' };

export async function loadConfig() {
  const answer = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
  if (!answer.ok) throw new Error(`console configuration: HTTP ${answer.status}`);
  Object.assign(config, await answer.json());
  return config;
}
