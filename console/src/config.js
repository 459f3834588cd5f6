// What the console needs to know of its deployment, from the gateway (gateway/console.py): the
// identity provider's issuer, the console's client id, the scopes it asks for, and how many requests
// one token may have at the gateway at once.
export const config = { issuer: '', client_id: 'cadre-console', scopes: 'openid profile', max_in_flight: 4 };

export async function loadConfig() {
  const answer = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: 'no-store' });
  if (!answer.ok) throw new Error(`console configuration: HTTP ${answer.status}`);
  Object.assign(config, await answer.json());
  return config;
}
