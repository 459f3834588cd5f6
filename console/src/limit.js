import { config } from './config.js';

// The gateway takes a few requests per token at once (429 beyond); a page reading many parts keeps
// its requests in a queue within that number. A 429 all the same (another download of the same
// token) was refused before any work, so it is sent again after a pause, whatever its method.
const waiting = [];
let inFlight = 0;
const RETRIES_AFTER_429 = 4;

async function slot() {
  if (inFlight < Math.max(1, config.max_in_flight)) {
    inFlight += 1;
    return;
  }
  await new Promise((resolve) => waiting.push(resolve)); // handed a slot by release()
}

function release() {
  const next = waiting.shift();
  if (next) next();
  else inFlight -= 1;
}

export async function limited(send) {
  for (let attempt = 0; ; attempt += 1) {
    await slot();
    let answer;
    try {
      answer = await send();
    } finally {
      release();
    }
    if (answer.status !== 429 || attempt >= RETRIES_AFTER_429) return answer;
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
  }
}
