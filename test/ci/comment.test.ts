import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { commentMarker, commentTarget, upsertComment, type CommentTarget } from "../../lib/ci/comment";

/** A stand-in for GitHub's issue-comments API: keeps comments in memory, records each request. */
const comments: { id: number; body: string }[] = [];
const requests: string[] = [];
let base = "";
const server = createServer(async (req, res) => {
  const body = await read(req);
  requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
  const url = new URL(req.url ?? "", "http://x");
  if (req.method === "GET") {
    res.end(JSON.stringify(comments.slice((Number(url.searchParams.get("page")) - 1) * 100, Number(url.searchParams.get("page")) * 100)));
  } else if (req.method === "POST") {
    comments.push({ id: comments.length + 1, body: JSON.parse(body).body });
    res.statusCode = 201;
    res.end("{}");
  } else {
    const id = Number(url.pathname.split("/").pop());
    comments[id - 1].body = JSON.parse(body).body;
    res.end("{}");
  }
});
function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = "";
    req.on("data", (d) => (s += d)).on("end", () => resolve(s));
  });
}
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe("plan summary comments", () => {
  test("GitHub: the first run creates the deployment's comment, the next edits it; another deployment gets its own", async () => {
    const target = commentTarget({ GITHUB_ACTIONS: "true", GITHUB_REF: "refs/pull/42/merge", GITHUB_REPOSITORY: "acme/infra", GITHUB_API_URL: base, GITHUB_TOKEN: "t0k" }) as CommentTarget;
    expect(target.listUrl).toBe(`${base}/repos/acme/infra/issues/42/comments`);
    for (let i = 0; i < 101; i++) comments.push({ id: comments.length + 1, body: `chatter ${i}` });
    expect(await upsertComment(target, "acme", "Plan: 1 to add")).toBe("created");
    expect(await upsertComment(target, "acme", "Plan: 2 to add")).toBe("updated");
    expect(await upsertComment(target, "globex", "Plan: no changes")).toBe("created");
    expect(comments.filter((c) => c.body.startsWith("<!--")).map((c) => c.body)).toEqual([`${commentMarker("acme")}\nPlan: 2 to add`, `${commentMarker("globex")}\nPlan: no changes`]);
    expect(requests).toContain(`PATCH /repos/acme/infra/issues/comments/102 Bearer t0k`);
  });

  test("no target outside a pull/merge request or without a token, with the reason", () => {
    expect(commentTarget({ GITHUB_ACTIONS: "true", GITHUB_REF: "refs/heads/main" })).toBe("not a pull_request run");
    expect(commentTarget({ GITLAB_CI: "true", CI_MERGE_REQUEST_IID: "7" })).toBe("BYOC_GITLAB_TOKEN is not set (a project access token with the api scope, masked)");
    expect(commentTarget({})).toBe("not running on GitHub Actions or GitLab CI");
    const gitlab = commentTarget({ GITLAB_CI: "true", BYOC_MR_IID: "7", BYOC_GITLAB_TOKEN: "glpat", CI_API_V4_URL: "https://gitlab.example.com/api/v4", CI_PROJECT_ID: "12" }) as CommentTarget;
    expect(gitlab.listUrl).toBe("https://gitlab.example.com/api/v4/projects/12/merge_requests/7/notes");
    expect(gitlab.headers).toEqual({ "private-token": "glpat" });
  });
});
