import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import { ExistingCluster } from "../../lib/cluster/existing";
import type { Binding, GatewayService, IPlatformTarget, ServiceAccountRef, TenantEgress, UdpServiceExposure, UdpServiceRequest } from "../../lib/platform/target";

/** A cluster reached by kubeconfig, with ranges no default would produce: a target for tests of the add-ons. */
export class LabTarget implements IPlatformTarget {
  readonly cluster = new ExistingCluster({ kubeconfig: "~/.kube/lab", context: "lab" });
  readonly gatewayService: GatewayService = { type: "NodePort", annotations: {} };
  readonly loadBalancerSources: string[] = [];
  readonly tenantEgress: TenantEgress[] = [{ cidr: "10.20.0.0/16" }];
  readonly controlPlaneSources = ["192.0.2.0/28"];
  readonly apiServerEgress: TenantEgress[] = [{ cidr: "192.0.2.16/28", ports: [{ port: 6443, protocol: "TCP" }] }];
  readonly cloudApiEgress: TenantEgress[] = [{ cidr: "198.51.100.0/24", ports: [{ port: 8200, protocol: "TCP" }] }];
  readonly needsMetricsServer = true;
  readonly openshift = false;

  /** @param prerequisites releases every add-on waits for (none in the lab) */
  constructor(readonly prerequisites: ITerraformDependable[] = []) {}

  secretStore(_scope: unknown, sa: ServiceAccountRef): Binding<Record<string, unknown>> {
    const auth = { kubernetes: { role: "byoc", serviceAccountRef: { name: sa.name, namespace: sa.namespace } } };
    return { identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], config: { vault: { server: "https://vault.lab:8200", auth } } };
  }
  dns01Solver(): undefined {
    return undefined;
  }
  dataCredentialsStore(): undefined {
    return undefined;
  }
  workloadIdentity(): Binding<Record<string, string>> {
    return { identity: { serviceAccountAnnotations: {}, podLabels: {} }, grants: [], config: {} };
  }
  bucketAccess(): Binding<Record<string, string>> {
    return this.workloadIdentity();
  }
  /** Node ports behind the lab's own firewall: nothing cloud-side. */
  udpService(_scope: Construct, _request: UdpServiceRequest): UdpServiceExposure {
    return { type: "NodePort", annotations: {}, healthCheckSources: [], grants: [] };
  }
}
