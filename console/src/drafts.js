// What a person typed survives a sign-in redirect: forms register their state under a key; before the
// page leaves for the identity provider every registered form is written to sessionStorage (this tab
// only), and read back, once, when the form appears again.
import { toRaw } from 'vue';

const STORE = 'cadre-console-drafts';
const live = new Map();

export function useDraft(key, state) {
  const saved = JSON.parse(sessionStorage.getItem(STORE) || '{}');
  if (saved[key]) {
    Object.assign(state, saved[key]);
    delete saved[key];
    sessionStorage.setItem(STORE, JSON.stringify(saved));
  }
  live.set(key, state);
  return state;
}

export function forgetDraft(key) {
  live.delete(key);
}

export function saveDrafts() {
  const saved = JSON.parse(sessionStorage.getItem(STORE) || '{}');
  for (const [key, state] of live) saved[key] = JSON.parse(JSON.stringify(toRaw(state)));
  sessionStorage.setItem(STORE, JSON.stringify(saved));
}

