// A file sent to the suite with the share sent so far reported as it goes (fetch reports none, so
// this one request is an XMLHttpRequest), then the answer read as the API's others are.
import { ApiError, baseHeaders, refusal } from './api.js';
import { limited } from './limit.js';

function send(path, body, headers, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.upload.onload = () => onProgress(1);
    xhr.onload = () => resolve(new Response(xhr.responseText, {
      status: xhr.status, headers: { 'Content-Type': xhr.getResponseHeader('Content-Type') || '' },
    }));
    xhr.onerror = () => reject(new ApiError(0, { code: 'NETWORK' }));
    xhr.send(body);
  });
}

export async function upload(path, body, contentType, onProgress = () => {}) {
  const headers = { ...baseHeaders(), 'Content-Type': contentType };
  const answer = await limited(() => send(path, body, headers, onProgress));
  if (!answer.ok) throw await refusal(answer, headers);
  return answer.json();
}
