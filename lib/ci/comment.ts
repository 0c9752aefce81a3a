import { existsSync, readFileSync } from "node:fs";

/**
 * Posts a deployment's plan summary on its pull request (GitHub) or merge request
 * (GitLab), editing the earlier one for the same deployment instead of adding a comment
 * per push. Each is found by a hidden marker naming the deployment.
 */

/** Where a comment goes, read from the CI system's environment. */
export interface CommentTarget {
  readonly system: "github" | "gitlab";
  /** The API endpoint listing and creating the comments of this pull/merge request. */
  readonly listUrl: string;
  /** The endpoint of one existing comment, given its id. */
  readonly itemUrl: (id: number) => string;
  readonly headers: Record<string, string>;
}

/** Why no comment can be posted from this job (not a pull/merge request, or no token), or the target. */
export function commentTarget(env: NodeJS.ProcessEnv): CommentTarget | string {
  if (env.GITHUB_ACTIONS === "true") {
    const pr = githubPullRequest(env);
    if (!pr) return "not a pull_request run";
    if (!env.GITHUB_TOKEN) return "GITHUB_TOKEN is not set (give the step env GITHUB_TOKEN: ${{ github.token }} and permissions pull-requests: write)";
    const base = `${env.GITHUB_API_URL ?? "https://api.github.com"}/repos/${env.GITHUB_REPOSITORY}/issues`;
    return {
      system: "github",
      listUrl: `${base}/${pr}/comments`,
      itemUrl: (id) => `${base}/comments/${id}`,
      headers: { authorization: `Bearer ${env.GITHUB_TOKEN}`, accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" },
    };
  }
  if (env.GITLAB_CI === "true") {
    const mr = env.BYOC_MR_IID || env.CI_MERGE_REQUEST_IID;
    if (!mr) return "not a merge request pipeline";
    // CI_JOB_TOKEN may not write notes: a project access token (Reporter, scope api) is needed.
    if (!env.BYOC_GITLAB_TOKEN) return "BYOC_GITLAB_TOKEN is not set (a project access token with the api scope, masked)";
    const base = `${env.CI_API_V4_URL}/projects/${env.CI_PROJECT_ID}/merge_requests/${mr}/notes`;
    return { system: "gitlab", listUrl: base, itemUrl: (id) => `${base}/${id}`, headers: { "private-token": env.BYOC_GITLAB_TOKEN } };
  }
  return "not running on GitHub Actions or GitLab CI";
}

function githubPullRequest(env: NodeJS.ProcessEnv): string | undefined {
  if (env.GITHUB_EVENT_PATH && existsSync(env.GITHUB_EVENT_PATH)) {
    const number = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, "utf8"))?.pull_request?.number;
    if (number) return String(number);
  }
  return /^refs\/pull\/(\d+)\//.exec(env.GITHUB_REF ?? "")?.[1];
}

/** The hidden line that marks a deployment's comment. */
export function commentMarker(key: string): string {
  return `<!-- cdktf-byoc plan: ${key} -->`;
}

/** Creates or updates the comment for `key`; returns which it did. */
export async function upsertComment(target: CommentTarget, key: string, body: string): Promise<"created" | "updated"> {
  const marker = commentMarker(key);
  const text = `${marker}\n${body}`;
  const existing = await findComment(target, marker);
  const json = { ...target.headers, "content-type": "application/json" };
  if (existing !== undefined) {
    await call(target.itemUrl(existing), { method: target.system === "github" ? "PATCH" : "PUT", headers: json, body: JSON.stringify({ body: text }) });
    return "updated";
  }
  await call(target.listUrl, { method: "POST", headers: json, body: JSON.stringify({ body: text }) });
  return "created";
}

async function findComment(target: CommentTarget, marker: string): Promise<number | undefined> {
  for (let page = 1; ; page++) {
    const comments = (await (await call(`${target.listUrl}?per_page=100&page=${page}`, { headers: target.headers })).json()) as { id: number; body?: string }[];
    const hit = comments.find((c) => c.body?.startsWith(marker));
    if (hit) return hit.id;
    if (comments.length < 100) return undefined;
  }
}

async function call(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${url}: ${response.status} ${response.statusText}`);
  return response;
}
