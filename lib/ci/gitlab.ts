import { parse, stringify } from "yaml";
import type { CiDeployment } from "./deployments";

/** What a GitLab pipeline does, chosen from how it was started. */
export type PipelineMode = "plan" | "apply" | "drift";

/**
 * The mode of this pipeline: a merge request plans, a schedule checks drift, the
 * default branch applies (never a tag). Undefined for any other pipeline (nothing to run).
 */
export function gitlabMode(env: NodeJS.ProcessEnv): PipelineMode | undefined {
  if (env.CI_PIPELINE_SOURCE === "merge_request_event") return "plan";
  if (env.CI_PIPELINE_SOURCE === "schedule") return "drift";
  // Never a tag: GitLab's token subject for a tag is refused by the apply identities (protected branches only).
  if (!env.CI_COMMIT_TAG && env.CI_COMMIT_BRANCH && env.CI_COMMIT_BRANCH === env.CI_DEFAULT_BRANCH) return "apply";
  return undefined;
}

/**
 * The child pipeline for these deployments: the hidden jobs of `jobsYaml` (the project's
 * .gitlab/byoc-jobs.yml, merged in so that the child needs no include) and one job per
 * deployment (plan, drift) or a chain per deployment and stack (apply: plan, then a manual
 * apply gated by the deployment's environment, infra before platform). Chains of different
 * deployments share no `needs`, so they run in parallel.
 */
export function gitlabChildPipeline(deployments: readonly CiDeployment[], mode: PipelineMode, jobsYaml: string): string {
  const base = (parse(jobsYaml) ?? {}) as Record<string, unknown>;
  const jobs: Record<string, unknown> = {};
  const variables = (d: CiDeployment, stack?: string) => ({ BYOC_DEPLOYMENT: d.name, BYOC_CONFIG: d.config, BYOC_CLOUD: d.cloud, ...(stack ? { BYOC_STACK: stack } : {}) });
  for (const d of deployments) {
    if (mode !== "apply") {
      jobs[`${d.name}:${mode}`] = { extends: mode === "plan" ? ".byoc-plan-all" : ".byoc-drift", stage: mode, variables: variables(d) };
      continue;
    }
    let previous: string | undefined;
    for (const stack of d.stacks) {
      const role = stack.endsWith("-infra") ? "infra" : "platform";
      const plan = `${d.name}:${role}:plan`;
      const apply = `${d.name}:${role}:apply`;
      jobs[plan] = { extends: ".byoc-plan", stage: `${role}-plan`, needs: previous ? [previous] : [], variables: variables(d, stack) };
      jobs[apply] = { extends: ".byoc-apply", stage: `${role}-apply`, needs: [plan], variables: variables(d, stack), environment: { name: d.environment, action: "start" } };
      previous = apply;
    }
  }
  const stages = mode === "apply" ? ["infra-plan", "infra-apply", "platform-plan", "platform-apply"] : [mode];
  if (deployments.length === 0) jobs["nothing-to-do"] = { stage: mode, image: "$BYOC_IMAGE", script: ["echo 'No deployment is touched by this change.'"] };
  return stringify({ ...base, stages, ...jobs }, { lineWidth: 0 });
}
