/**
 * IPsec proposals for site-to-site tunnels: IKEv2 only, AES-256 (GCM preferred),
 * SHA-2 integrity, elliptic-curve Diffie-Hellman (groups 19-21, with PFS). Weaker
 * suites the clouds still accept by default (SHA-1, DH group 2/14) are left out; a
 * peer device must support one of these.
 */
export const IPSEC = {
  aws: {
    encryption: ["AES256-GCM-16", "AES256"],
    integrity: ["SHA2-256", "SHA2-384", "SHA2-512"],
    dhGroups: [19, 20, 21],
  },
  azure: {
    ikeEncryption: "GCMAES256",
    ikeIntegrity: "SHA384",
    dhGroup: "ECP384",
    ipsecEncryption: "GCMAES256",
    ipsecIntegrity: "GCMAES256",
    pfsGroup: "ECP384",
    saLifetime: 27000,
  },
} as const;
