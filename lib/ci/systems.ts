/** The CI systems the kit supports: templates (`ci init`) and keyless trust. */
export const CI_SYSTEMS = ["github", "gitlab", "jenkins"] as const;
export type CiSystem = (typeof CI_SYSTEMS)[number];
