import type { ObjectStorage } from "./storage";

/** Pod-spec pieces the observability charts share, in Helm values' (camelCase) form. */

/** Pod level: the images' own non-root user (10001 in Loki, Tempo and Jaeger), volumes group-writable for it. */
export const POD_SECURITY = {
  runAsNonRoot: true,
  runAsUser: 10001,
  runAsGroup: 10001,
  fsGroup: 10001,
  fsGroupChangePolicy: "OnRootMismatch",
  seccompProfile: { type: "RuntimeDefault" },
} as const;

/** Container level: what Pod Security `restricted` asks, plus a read-only root filesystem. */
export const CONTAINER_SECURITY = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
} as const;

/**
 * How a chart's pods reach `storage`, as pod-spec pieces for Helm values: the
 * identity's environment, the store's keys from `credentialsSecret`, and the CA that
 * signs its endpoint mounted at `caDir` (then `caFile` is where the client finds it).
 */
export function storagePodAccess(storage: ObjectStorage, caDir: string) {
  const secret = storage.credentialsSecret;
  const ca = secret && storage.caCertKey;
  return {
    env: Object.entries(storage.env).map(([name, value]) => ({ name, value })),
    envFrom: secret ? [{ secretRef: { name: secret } }] : [],
    volumes: ca ? [{ name: "object-store-ca", secret: { secretName: secret, items: [{ key: ca, path: "ca.crt" }] } }] : [],
    volumeMounts: ca ? [{ name: "object-store-ca", mountPath: caDir, readOnly: true }] : [],
    caFile: ca ? `${caDir}/ca.crt` : undefined,
  };
}
