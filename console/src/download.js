// An export as a file the officer keeps: fetched with the token (a plain link would carry none), read as
// it streams so the page can show how much has come, then handed to the browser as a download.
import { ApiError, baseHeaders, refusal, url } from './api.js';
import { limited } from './limit.js';

export const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export async function download(path, query, filename, onProgress = () => {}) {
  const headers = baseHeaders(XLSX);
  let answer;
  try {
    answer = await limited(() => fetch(url(path, { ...query, format: 'xlsx' }), { headers, cache: 'no-store' }));
  } catch {
    throw new ApiError(0, { code: 'NETWORK' });
  }
  if (!answer.ok) throw await refusal(answer, headers);
  const reader = answer.body.getReader();
  const chunks = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    onProgress(received);
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob(chunks, { type: XLSX }));
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return received;
}
