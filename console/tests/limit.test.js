import { afterEach, describe, expect, it, vi } from 'vitest';

import { config } from '../src/config.js';
import { limited } from '../src/limit.js';

// a request the test answers when it chooses
function pending() {
  let answer;
  const promise = new Promise((resolve) => { answer = resolve; });
  return { promise, answer };
}

describe('requests kept within the gateway\'s per-token limit', () => {
  afterEach(() => { vi.useRealTimers(); config.max_in_flight = 4; });

  it('never has more in flight than the gateway takes, and sends the rest as answers come', async () => {
    config.max_in_flight = 2;
    let inFlight = 0;
    let most = 0;
    const sent = [];
    const calls = Array.from({ length: 7 }, (_, i) => limited(() => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      const request = pending();
      sent.push(request);
      return request.promise.then((answer) => { inFlight -= 1; return answer; });
    }).then((answer) => answer.body));
    for (let answered = 0; answered < 7; answered += 1) {
      await vi.waitFor(() => expect(sent.length).toBeGreaterThan(answered));
      sent[answered].answer({ status: 200, body: answered });
    }
    expect(await Promise.all(calls)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(most).toBe(2);
  });

  it('sends a request refused with 429 again after a pause, and gives up after a few', async () => {
    vi.useFakeTimers();
    const statuses = [429, 429, 200];
    const send = vi.fn(async () => ({ status: statuses.shift() }));
    const answer = limited(send);
    await vi.runAllTimersAsync();
    expect((await answer).status).toBe(200);
    expect(send).toHaveBeenCalledTimes(3);

    const refused = vi.fn(async () => ({ status: 429 }));
    const last = limited(refused);
    await vi.runAllTimersAsync();
    expect((await last).status).toBe(429);
    expect(refused).toHaveBeenCalledTimes(5);
  });
});
