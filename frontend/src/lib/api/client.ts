/**
 * The one API client: openapi-fetch typed by the generated schema (src/lib/api/schema.d.ts,
 * from ../schema.yaml by `npm run gen:api`). Session cookie auth; Django's CSRF token from the
 * csrftoken cookie goes into X-CSRFToken on every unsafe request.
 */
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

export function csrfToken(): string {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]!) : "";
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (!["GET", "HEAD", "OPTIONS"].includes(request.method)) {
      request.headers.set("X-CSRFToken", csrfToken());
    }
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

/** An HTTP error answer from the API, with its JSON body. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    const detail =
      body && typeof body === "object" && "detail" in body ? String((body as { detail: unknown }).detail) : "";
    super(detail || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of an answer, or an ApiError (network failures propagate as TypeError). */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error);
  return data as T;
}

/** Whether an error means "could not reach the server" (offline, DNS, connection refused). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError || (error instanceof ApiError && error.status === 0);
}

/** Read every page of a cursor-paginated list (bounded). */
export async function allPages<T>(
  first: Promise<Result<{ results: T[]; next?: string | null }>>,
  maxPages = 20,
): Promise<T[]> {
  const page = await unwrap(first);
  const out = [...page.results];
  let next = page.next;
  for (let i = 1; next && i < maxPages; i++) {
    const response = await fetch(next, { credentials: "same-origin" });
    if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
    const body = (await response.json()) as { results: T[]; next?: string | null };
    out.push(...body.results);
    next = body.next;
  }
  return out;
}
