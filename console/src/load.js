// A page's read: what it loaded, whether it is loading, and the error if it failed (an ApiError: a
// refusal to show, or a service that is down to retry).
import { ref } from 'vue';

import { page } from './api.js';

export function useLoad(read, { immediate = true } = {}) {
  const data = ref(null);
  const error = ref(null);
  const loading = ref(false);
  async function reload() {
    loading.value = true;
    error.value = null;
    try {
      data.value = await read();
    } catch (exc) {
      error.value = exc;
    } finally {
      loading.value = false;
    }
    return data.value;
  }
  if (immediate) reload();
  return { data, error, loading, reload };
}

// A page's write: whether it is being sent, and its refusal if it failed (an ApiError shown beside what
// was typed, which stays where it was). ``run`` answers what the write answered, undefined if it failed.
export function useAction() {
  const busy = ref(false);
  const error = ref(null);
  async function run(send) {
    busy.value = true;
    error.value = null;
    try {
      return await send();
    } catch (exc) {
      error.value = exc;
      return undefined;
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, run };
}

// A list that pages by the gateway's cursor (Link: rel="next"); the cursors already passed are kept so
// that "previous" goes back exactly where it was.
export function usePaged(path, query = () => ({}), { limit = 20 } = {}) {
  const items = ref([]);
  const total = ref(null);
  const error = ref(null);
  const loading = ref(false);
  const cursors = ref([null]);
  const next = ref(null);
  async function load(index = 0) {
    loading.value = true;
    error.value = null;
    try {
      const answer = await page(typeof path === 'function' ? path() : path,
        { ...query(), limit, cursor: cursors.value[index] || undefined });
      items.value = Array.isArray(answer.data) ? answer.data : (answer.data?.items || []);
      total.value = answer.total;
      next.value = answer.next;
      cursors.value = cursors.value.slice(0, index + 1);
    } catch (exc) {
      error.value = exc;
    } finally {
      loading.value = false;
    }
  }
  return {
    items, total, error, loading,
    reload: () => { cursors.value = [null]; return load(0); },
    hasNext: () => Boolean(next.value),
    hasPrevious: () => cursors.value.length > 1,
    forward: () => { cursors.value.push(next.value); return load(cursors.value.length - 1); },
    back: () => load(cursors.value.length - 2),
    pageNumber: () => cursors.value.length,
  };
}

