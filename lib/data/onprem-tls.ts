import { platformLabels } from "../platform/namespaces";
import { DATA_NAMESPACE, tlsSecret } from "./onprem-plan";

/** The ClusterIssuer the platform's cert-manager runs for names inside the cluster. */
export const INTERNAL_CA = "internal-ca";

/** The names a Service answers to from other namespaces, short to fully qualified (cluster.local). */
export function serviceNames(service: string): string[] {
  const ns = `${service}.${DATA_NAMESPACE}`;
  return [service, ns, `${ns}.svc`, `${ns}.svc.cluster.local`];
}

export interface ServerCertificateProps {
  readonly deployment: string;
  /** The store: the Certificate is `<store>-tls`, and so is its Secret. */
  readonly store: string;
  readonly dnsNames: string[];
  /** Labels on the Secret, e.g. CloudNativePG's reload marker. @default none */
  readonly secretLabels?: Record<string, string>;
  /**
   * Also a client certificate: replica-set members present it to each other (MongoDB
   * refuses a peer certificate without clientAuth). @default false
   */
  readonly clientAuth?: boolean;
}

/**
 * A server certificate from the platform's internal CA for a store in `data`. The Secret
 * holds `tls.crt`, `tls.key` and the CA as `ca.crt`, which clients verify against; the
 * key is ECDSA P-256 and is replaced at each renewal (cert-manager renews at two thirds
 * of the 90-day lifetime).
 */
export function serverCertificate(props: ServerCertificateProps): Record<string, unknown> {
  const name = tlsSecret(props.store);
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name, namespace: DATA_NAMESPACE, labels: platformLabels(props.deployment, "data") },
    spec: {
      secretName: name,
      ...(props.secretLabels ? { secretTemplate: { labels: props.secretLabels } } : {}),
      commonName: props.dnsNames[0],
      dnsNames: props.dnsNames,
      duration: "2160h",
      usages: ["server auth", ...(props.clientAuth ? ["client auth"] : []), "digital signature"],
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      issuerRef: { name: INTERNAL_CA, kind: "ClusterIssuer", group: "cert-manager.io" },
    },
  };
}
