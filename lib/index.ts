/**
 * cdktf-byoc's public API: the spec, the stacks, and the pieces to compose your own.
 *
 * This entry point loads no provider package. Cloud constructs are imported from their
 * own modules so that a program pays only for the cloud it synthesizes:
 *   import { AwsNetwork } from "cdktf-byoc/lib/network/aws";
 *   import { EksCluster } from "cdktf-byoc/lib/cluster/eks";
 *   import { Platform } from "cdktf-byoc/lib/platform/platform";
 *   import { Observability } from "cdktf-byoc/lib/observability/observability";
 *   import { AwsCloudAlarms } from "cdktf-byoc/lib/observability/cloud/aws";
 *   import { SecureNodes } from "cdktf-byoc/lib/secure-nodes/secure-nodes";
 *   import { BesuNetwork } from "cdktf-byoc/lib/audit/besu/besu";
 *   import { qbftGenesis } from "cdktf-byoc/lib/audit/besu/genesis";
 *   import { anchorHead, readAnchors } from "cdktf-byoc/lib/audit/anchor/anchor";
 */
export type { ClusterConnection, Distribution, ExecCredential, IKubernetesCluster } from "./cluster/cluster";
export { DEFAULT_KUBERNETES_VERSION, KUBERNETES_VERSIONS, type TenantSpec } from "./config/cluster";
export { POSTGRES_VERSIONS } from "./config/data";
export { BUCKET_RETENTION_MARGIN_DAYS } from "./config/observability";
export { PHASE_PRESETS, type Phase, type PhasePreset, type SecureNodesSpec } from "./config/secure-nodes";
export { defaultSpec, TARGET_CLOUDS } from "./config/defaults";
export { specJsonSchema } from "./config/json-schema";
export { knownZones } from "./config/regions";
export { SpecSchema, type PeerSpec, type SpecInput } from "./config/schema";
export { loadSpec, nodePools, parseSpec, SpecError, type DataSpec, type DeploymentSpec, type ObservabilitySpec, type Target, type TargetCloud } from "./config/spec";
export { awsVcpus, TIERS, type DataSizes, type NodePoolSize, type ObservabilitySizes, type Tier, type TierDefaults } from "./config/tiers";
export { Naming, namingOf } from "./core/naming";
export { protect } from "./core/protect";
export { MissingProviderError, PROVIDER_PACKAGES, type ProviderPackage } from "./core/provider-packages";
export { configureBackend, type StateBackend } from "./core/backend";
export { constructOutput } from "./core/outputs";
export { providerRegion, resolveRegion } from "./core/region";
export { ByocStack, type ByocStackProps } from "./core/stack";
export { setComponent, tagDeployment, TaggingAspect, type DeploymentTags } from "./core/tags";
export { specStack, stackName, type StackRole } from "../stacks/spec-stack";
export type { BucketRef, DataStoreConnection, DataStoreKind, IDataLayer, ObjectStoreAccess } from "./data/data";
export type { IDns } from "./dns/dns";
export type { INetwork } from "./network/network";
export { DeclaredNetwork } from "./network/onprem";
export { awsPlan, azurePlan, gcpPlan } from "./network/plan";
export { CHARTS, RETIRED_CHARTS } from "./platform/charts";
export { BASELINE_RULES, type BaselineRule } from "./platform/policy-rules";
export type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress, UdpServiceExposure, UdpServiceRequest, WorkloadIdentity } from "./platform/target";
export { buildStacks, type BuildOptions } from "../stacks";
// Compliance profiles: controls as code, the aspect that checks them, the evidence report.
export { CHECKS, CONTROLS, FRAMEWORKS, FRAMEWORK_NAMES, MINIMUMS, minimumsOf, type CheckId, type Control, type Framework, type Minimums } from "./compliance/frameworks";
export { ComplianceAspect, ComplianceError, type ComplianceAspectProps, type ControlResult, type ControlStatus, type IComplianceFacts } from "./compliance/aspect";
export type { Finding, Subject, Verdict } from "./compliance/checks";
export { complianceReport, reportMarkdown, type ComplianceReport, type ReportInput } from "./compliance/report";
export { reportHtml } from "./compliance/report-html";
export { reportInputOf, writeComplianceReport } from "./compliance/write";
// Props and interfaces of the add-ons (types only: no provider package is loaded).
export type { PlatformIngress, PlatformProps } from "./platform/platform";
export type { INamespace } from "./platform/namespaces";
export type { ICertManager } from "./platform/cert-manager";
export type { IExternalSecrets, SyncedSecretProps } from "./platform/external-secrets";
export type { TenantOptions } from "./platform/tenants";
export type { GitOpsRepository } from "./platform/argocd";
export type { RemoteAccessOptions } from "./platform/remote-access";
export type { AddonMetrics, NetworkAllow, NetworkPeer, NetworkRule } from "./platform/network-policies";
export type { AlertReceivers } from "./observability/receivers";
export type { ObjectStorage } from "./observability/storage";
export type { ObservabilityProps } from "./observability/observability";
export type {
  SecureNodesProps,
  SecureNodesTopology,
  SecureNodesSecurityProfile,
  SecureNodesAuthMode,
  SecureNodesLogLevel,
  SecureNodesResources,
  SecureNodesAutoscaling,
  SecretManagerValue,
  SecureNodesKeys,
  SecureNodesHsm,
  SecureNodesHsmConfigFile,
  SecureNodesAuditSink,
  SecureNodesEnvNames,
  SecureNodesMetricNames,
  SecureNodesAlertThresholds,
  SecureNodesMonitoring,
} from "./secure-nodes/props";
export type { BesuNetworkProps, BesuNode } from "./audit/besu/besu";
export { CiTrustStack, type CiTrustStackProps } from "./ci/trust-stack";
export { CI_ISSUERS, CI_SYSTEMS, CiIssuer, type CiSystem, type CiTrustProps, type ICiTrust } from "./ci/trust";
export { guard, parsePlan, summarize, PlanFormatError, type GuardResult, type Plan } from "./ci/plan-guard";
export { STATEFUL_RESOURCE_TYPES } from "./ci/stateful-types";
export { discoverDeployments, type CiDeployment } from "./ci/deployments";
