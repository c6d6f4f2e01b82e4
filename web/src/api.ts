/**
 * Talking to the server: the API key (asked for once, kept in localStorage, sent as Bearer),
 * authorised fetches, and an SSE reader over fetch (EventSource cannot send headers).
 */

const KEY_STORAGE = "tokenflow.apiKey";

/** Thrown when the server wants an API key (HTTP 401). */
export class AuthRequiredError extends Error {}

/** The stored API key, or null. */
export function apiKey(): string | null {
  try {
    return localStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

/** Stores (or with null, forgets) the API key. */
export function setApiKey(key: string | null): void {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

/** `fetch` with the Bearer key; throws AuthRequiredError on 401 and Error (the server's message) on other failures. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = apiKey();
  if (key) headers.set("authorization", `Bearer ${key}`);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401) throw new AuthRequiredError("API key required");
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(body?.error?.message ?? `HTTP ${res.status}`);
  }
  return res;
}

/** Yields the `data:` payloads of an SSE response body, as they arrive. */
export async function* sseData(res: Response): AsyncGenerator<string> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    pending += decoder.decode(value, { stream: true });
    let end = pending.indexOf("\n\n");
    while (end >= 0) {
      for (const line of pending.slice(0, end).split("\n")) {
        if (line.startsWith("data:")) yield line.slice(5).trimStart();
      }
      pending = pending.slice(end + 2);
      end = pending.indexOf("\n\n");
    }
  }
}
