#!/usr/bin/env bash
# The steps every cdktf-byoc pipeline template runs (GitHub Actions, GitLab CI, Jenkins),
# shipped in the package and called as `bash node_modules/cdktf-byoc/ci/templates/byoc-ci.sh <step>`.
#
#   install                    make sure Terraform (or OpenTofu) >= 1.10 is on the PATH
#   matrix [ci matrix options] the deployments as JSON (or --format tsv)
#   gitlab-pipeline            the GitLab child pipeline for this pipeline
#   synth <name> <byoc.yaml>   synthesize a deployment into $BYOC_OUT/<name>
#   login <plan|apply> <cloud> keyless login with the CI system's OIDC token
#   plan <name> <stack>        init, plan -out tfplan, show -json, plan guard, summary
#   plan-all <name>            plan every stack of the deployment, infra first
#   guard <name> <stack>       the plan guard on the stack's tfplan.json
#   apply <name> <stack>       apply exactly the saved tfplan
#   drift-all <name>           plan -detailed-exitcode each stack; exit 3 when any drifted
#   comment <name>             post the deployment's summary on the pull/merge request
#
# Settings (environment): BYOC_TF_BIN (terraform | tofu), BYOC_TF_VERSION, BYOC_OUT
# (default cdktf.out), BYOC_WORK (this job's scratch: login environment and tokens),
# BYOC_CLI (default: npx --no-install cdktf-byoc).
set -euo pipefail
# A failing step inside $(...) must stop the script too.
shopt -s inherit_errexit

BYOC_TF_BIN=${BYOC_TF_BIN:-terraform}
BYOC_OUT=${BYOC_OUT:-cdktf.out}
BYOC_WORK=${BYOC_WORK:-${RUNNER_TEMP:-.}/.byoc}
BYOC_CLI=${BYOC_CLI:-npx --no-install cdktf-byoc}
MIN_TF_VERSION=1.10.0
export TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1

die() { echo "byoc-ci: $*" >&2; exit 1; }
# shellcheck disable=SC2086 # BYOC_CLI is a command with arguments
cli() { $BYOC_CLI "$@"; }

mkdir -p "$BYOC_WORK"
chmod 700 "$BYOC_WORK"
# What `login` and `install` exported, for the later steps (each may run in a new shell).
# shellcheck disable=SC1091
[ -f "$BYOC_WORK/env" ] && . "$BYOC_WORK/env"

keep_env() { # NAME VALUE: export now and in later steps
  export "$1=$2"
  printf 'export %s=%q\n' "$1" "$2" >>"$BYOC_WORK/env"
}

deployment_dir() { echo "$BYOC_OUT/$1"; }
stack_dir() {
  local dir
  dir="$(deployment_dir "$1")/stacks/$2"
  [ -f "$dir/cdk.tf.json" ] || die "$dir/cdk.tf.json is missing: run synth $1 first"
  echo "$dir"
}
tf() { local dir=$1; shift; "$BYOC_TF_BIN" -chdir="$dir" "$@"; }

version_at_least() { # A B: is version A >= B
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

cmd_install() {
  local have
  if have=$("$BYOC_TF_BIN" version 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+'); then
    if version_at_least "$have" "$MIN_TF_VERSION" && { [ -z "${BYOC_TF_VERSION:-}" ] || [ "$have" = "$BYOC_TF_VERSION" ]; }; then
      echo "Using $BYOC_TF_BIN $have"
      return
    fi
  fi
  local version url sums arch bin="$BYOC_WORK/bin"
  case "$BYOC_TF_BIN" in
    terraform) version=${BYOC_TF_VERSION:-1.17.1}; url="https://releases.hashicorp.com/terraform/$version"; sums="terraform_${version}_SHA256SUMS" ;;
    tofu) version=${BYOC_TF_VERSION:-1.12.3}; url="https://github.com/opentofu/opentofu/releases/download/v$version"; sums="tofu_${version}_SHA256SUMS" ;;
    *) die "BYOC_TF_BIN must be terraform or tofu (got $BYOC_TF_BIN)" ;;
  esac
  version_at_least "$version" "$MIN_TF_VERSION" || die "$BYOC_TF_BIN $version is too old: the S3 backend's native locking needs $MIN_TF_VERSION or later"
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) die "no $BYOC_TF_BIN build for $(uname -m)" ;; esac
  local zip="${BYOC_TF_BIN}_${version}_linux_${arch}.zip"
  mkdir -p "$bin"
  curl -fsSL --retry 3 -o "$BYOC_WORK/$zip" "$url/$zip"
  curl -fsSL --retry 3 -o "$BYOC_WORK/$sums" "$url/$sums"
  (cd "$BYOC_WORK" && grep " $zip\$" "$sums" | sha256sum -c -) || die "$zip does not match its published SHA-256"
  if command -v unzip >/dev/null; then unzip -oq "$BYOC_WORK/$zip" "$BYOC_TF_BIN" -d "$bin"; else python3 -m zipfile -e "$BYOC_WORK/$zip" "$bin"; fi
  chmod +x "$bin/$BYOC_TF_BIN"
  keep_env PATH "$(cd "$bin" && pwd):$PATH"
  "$BYOC_TF_BIN" version | head -n1
}

cmd_synth() {
  local name=${1:?deployment name} config=${2:?path of its byoc.yaml} out
  out=$(deployment_dir "$name")
  mkdir -p "$out"
  cli ci synth --config "$config" --out "$out" >"$out/stacks.txt"
  printf '%s\n' "$config" >"$out/config.txt"
  echo "Synthesized $config into $out: $(paste -sd' ' "$out/stacks.txt")"
}

# The CI system's OIDC token for an audience, in a file only this user reads. GitLab
# (id_tokens) and Jenkins (withCredentials) hand it over as BYOC_OIDC_TOKEN_<CLOUD>;
# GitHub Actions gives it on request to a job with `permissions: id-token: write`.
oidc_token_file() {
  local cloud=$1 audience=$2 file="$BYOC_WORK/oidc-$1.jwt" var
  var="BYOC_OIDC_TOKEN_$(echo "$cloud" | tr '[:lower:]' '[:upper:]')"
  (
    umask 077
    if [ -n "${!var:-}" ]; then
      printf '%s' "${!var}" >"$file"
    elif [ -n "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ]; then
      curl -fsS -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
        "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=$(node -p 'encodeURIComponent(process.argv[1])' "$audience")" |
        node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.stdout.write(JSON.parse(s).value))' >"$file"
    else
      die "no OIDC token for $cloud: set $var (GitLab id_tokens, Jenkins id token credentials) or, on GitHub Actions, give the job permissions id-token: write"
    fi
  )
  echo "$file"
}

require() { for v in "$@"; do [ -n "${!v:-}" ] || die "$v is not set: set it as a CI variable (the CI trust stack's output of that name)"; done; }

cmd_login() {
  local mode=${1:?plan or apply} cloud=${2:?cloud} MODE token
  case "$mode" in plan | apply) MODE=$(echo "$mode" | tr '[:lower:]' '[:upper:]') ;; *) die "login takes plan or apply (got $mode)" ;; esac
  case "$cloud" in
    aws)
      local role="BYOC_AWS_${MODE}_ROLE_ARN"
      require "$role" BYOC_AWS_REGION
      token=$(oidc_token_file aws sts.amazonaws.com)
      # The AWS SDKs (Terraform's provider and S3 backend, the AWS CLI behind `aws eks
      # get-token`) assume the role with this token themselves.
      keep_env AWS_ROLE_ARN "${!role}"
      keep_env AWS_WEB_IDENTITY_TOKEN_FILE "$(cd "$(dirname "$token")" && pwd)/$(basename "$token")"
      keep_env AWS_ROLE_SESSION_NAME "byoc-$mode-${GITHUB_RUN_ID:-${CI_JOB_ID:-${BUILD_NUMBER:-local}}}"
      keep_env AWS_REGION "$BYOC_AWS_REGION"
      ;;
    azure)
      local client="BYOC_AZURE_${MODE}_CLIENT_ID"
      require "$client" BYOC_AZURE_TENANT_ID BYOC_AZURE_SUBSCRIPTION_ID
      token=$(oidc_token_file azure api://AzureADTokenExchange)
      keep_env ARM_USE_OIDC true
      keep_env ARM_USE_AZUREAD true
      keep_env ARM_CLIENT_ID "${!client}"
      keep_env ARM_TENANT_ID "$BYOC_AZURE_TENANT_ID"
      keep_env ARM_SUBSCRIPTION_ID "$BYOC_AZURE_SUBSCRIPTION_ID"
      keep_env ARM_OIDC_TOKEN_FILE_PATH "$(cd "$(dirname "$token")" && pwd)/$(basename "$token")"
      # The platform stack's kubelogin (--login azurecli) needs the Azure CLI logged in.
      if command -v az >/dev/null; then
        az login --service-principal --username "${!client}" --tenant "$BYOC_AZURE_TENANT_ID" --federated-token "$(cat "$token")" --allow-no-subscriptions --output none
        az account set --subscription "$BYOC_AZURE_SUBSCRIPTION_ID"
      else
        echo "byoc-ci: the Azure CLI is not installed: the platform stack's kubelogin (--login azurecli) will need it" >&2
      fi
      ;;
    gcp)
      local account="BYOC_GCP_${MODE}_SERVICE_ACCOUNT" credentials
      require "$account" BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER
      token=$(oidc_token_file gcp "https://iam.googleapis.com/$BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER")
      credentials="$(cd "$BYOC_WORK" && pwd)/gcp-credentials.json"
      # Workload identity federation: Google's STS trades the OIDC token, then the service
      # account is impersonated. Read by the google provider, the gcs backend and gcloud.
      (umask 077 && node -e '
        const [provider, account, token] = process.argv.slice(1);
        process.stdout.write(JSON.stringify({
          type: "external_account",
          audience: `//iam.googleapis.com/${provider}`,
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
          token_url: "https://sts.googleapis.com/v1/token",
          service_account_impersonation_url: `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${account}:generateAccessToken`,
          credential_source: { file: token, format: { type: "text" } },
        }, null, 2));' "$BYOC_GCP_WORKLOAD_IDENTITY_PROVIDER" "${!account}" "$(cd "$(dirname "$token")" && pwd)/$(basename "$token")" >"$credentials")
      keep_env GOOGLE_APPLICATION_CREDENTIALS "$credentials"
      keep_env CLOUDSDK_AUTH_CREDENTIAL_FILE_OVERRIDE "$credentials"
      ;;
    onprem)
      # The cluster exists already: its kubeconfig (spec target.kubeconfig) must be on the runner.
      echo "on-prem: no cloud login; using the runner's kubeconfig"
      return
      ;;
    *) die "unknown cloud $cloud" ;;
  esac
  echo "Logged in to $cloud with the $mode identity (OIDC, no stored key)"
}

summary_of() { echo "$(deployment_dir "$1")/summary.md"; }

append_summary() { # NAME STACK TITLE FILE
  local out
  out=$(summary_of "$1")
  { printf '#### %s: %s\n\n```text\n' "$2" "$3"; cat "$4"; printf '```\n\n'; } >>"$out"
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    { printf '#### %s: %s\n\n```text\n' "$2" "$3"; cat "$4"; printf '```\n\n'; } >>"$GITHUB_STEP_SUMMARY"
  fi
}

cmd_guard() {
  local name=${1:?deployment name} stack=${2:?stack} dir config allow
  dir=$(stack_dir "$name" "$stack")
  config=$(cat "$(deployment_dir "$name")/config.txt")
  allow="$(dirname "$config")/plan-guard-allow.txt"
  local args=("$dir/tfplan.json" --stack "$dir/cdk.tf.json")
  [ -f "$allow" ] && args+=(--allow-file "$allow")
  local rc=0
  cli plan-guard "${args[@]}" >"$dir/plan-summary.txt" || rc=$?
  cat "$dir/plan-summary.txt"
  return "$rc"
}

cmd_plan() {
  local name=${1:?deployment name} stack=${2:?stack} dir rc=0
  dir=$(stack_dir "$name" "$stack")
  tf "$dir" init -input=false -no-color >/dev/null
  tf "$dir" plan -input=false -lock-timeout=5m -detailed-exitcode -out=tfplan || rc=$?
  case "$rc" in
    0) echo false >"$dir/changes" ;;
    2) echo true >"$dir/changes" ;;
    *) die "$BYOC_TF_BIN plan of $stack failed" ;;
  esac
  tf "$dir" show -json tfplan >"$dir/tfplan.json"
  rc=0
  cmd_guard "$name" "$stack" || rc=$?
  # The JSON holds every planned value, sensitive ones included: it is not kept.
  rm -f "$dir/tfplan.json"
  append_summary "$name" "$stack" plan "$dir/plan-summary.txt"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "changes=$(cat "$dir/changes")" >>"$GITHUB_OUTPUT"; fi
  return "$rc"
}

# A platform stack reads its infra stack's outputs: it cannot be planned before infra exists.
infra_missing() {
  local name=$1 stack=$2 infra="${2%-platform}-infra"
  [[ $stack == *-platform ]] && grep -qx "$infra" "$(deployment_dir "$name")/stacks.txt" || return 1
  [ -z "$(tf "$(stack_dir "$name" "$infra")" state list 2>/dev/null)" ]
}

cmd_plan_all() {
  local name=${1:?deployment name} stack failed=0
  : >"$(summary_of "$name")"
  while read -r stack; do
    if infra_missing "$name" "$stack"; then
      echo "$stack is planned once ${stack%-platform}-infra is applied (it reads its outputs)" >"$(deployment_dir "$name")/skipped.txt"
      append_summary "$name" "$stack" "not planned" "$(deployment_dir "$name")/skipped.txt"
      continue
    fi
    cmd_plan "$name" "$stack" || failed=1
  done <"$(deployment_dir "$name")/stacks.txt"
  return "$failed"
}

cmd_apply() {
  local name=${1:?deployment name} stack=${2:?stack} dir
  dir=$(stack_dir "$name" "$stack")
  [ -f "$dir/tfplan" ] || die "$dir/tfplan is missing: apply takes the plan the plan job saved"
  if [ "$(cat "$dir/changes" 2>/dev/null)" = false ]; then
    echo "$stack: the plan has no changes; nothing to apply"
    return
  fi
  tf "$dir" init -input=false -no-color >/dev/null
  # A saved plan applies exactly what was reviewed; Terraform refuses it if the state moved since.
  tf "$dir" apply -input=false -lock-timeout=5m tfplan
}

cmd_drift_all() {
  local name=${1:?deployment name} stack dir rc drifted=()
  : >"$(summary_of "$name")"
  while read -r stack; do
    dir=$(stack_dir "$name" "$stack")
    tf "$dir" init -input=false -no-color >/dev/null
    rc=0
    tf "$dir" plan -input=false -lock-timeout=5m -detailed-exitcode -no-color >"$dir/drift.txt" || rc=$?
    case "$rc" in
      0) echo "$stack: no drift" | tee "$dir/drift-summary.txt" ;;
      2) drifted+=("$stack"); grep -E '^(Plan:|  # )' "$dir/drift.txt" | tee "$dir/drift-summary.txt" ;;
      *) cat "$dir/drift.txt" >&2; die "$BYOC_TF_BIN plan of $stack failed" ;;
    esac
    append_summary "$name" "$stack" drift "$dir/drift-summary.txt"
  done <"$(deployment_dir "$name")/stacks.txt"
  if [ "${#drifted[@]}" -gt 0 ]; then
    echo "Drift in ${drifted[*]}: the real resources differ from the configuration" >&2
    return 3
  fi
}

cmd_comment() {
  local name=${1:?deployment name}
  cli ci comment --key "$name" --file "$(summary_of "$name")"
}

step=${1:-}
[ $# -gt 0 ] && shift
case "$step" in
  install) cmd_install "$@" ;;
  matrix) cli ci matrix "$@" ;;
  gitlab-pipeline) cli ci gitlab-pipeline "$@" ;;
  synth) cmd_synth "$@" ;;
  login) cmd_login "$@" ;;
  plan) cmd_plan "$@" ;;
  plan-all) cmd_plan_all "$@" ;;
  guard) cmd_guard "$@" ;;
  apply) cmd_apply "$@" ;;
  drift-all) cmd_drift_all "$@" ;;
  comment) cmd_comment "$@" ;;
  *) die "usage: byoc-ci.sh install|matrix|gitlab-pipeline|synth|login|plan|plan-all|guard|apply|drift-all|comment (see the header of this file)" ;;
esac
