/**
 * The prebuilt provider packages the kit is built and tested against. They are optional
 * peer dependencies: a project installs only those of the targets it synthesizes.
 */
export const PROVIDER_PACKAGES = {
  "@cdktf/provider-aws": "21.22.1",
  "@cdktf/provider-azurerm": "14.23.1",
  "@cdktf/provider-google": "16.12.1",
  "@cdktf/provider-helm": "12.1.2",
  "@cdktf/provider-kubernetes": "12.1.1",
} as const;

export type ProviderPackage = keyof typeof PROVIDER_PACKAGES;

/** A target was asked for whose provider package is not installed. */
export class MissingProviderError extends Error {
  constructor(
    readonly packageName: ProviderPackage,
    target: string,
  ) {
    const spec = `${packageName}@${PROVIDER_PACKAGES[packageName]}`;
    super(`install ${spec} to synthesize ${/^[aeiou]/.test(target) ? "an" : "a"} ${target} target (npm install ${spec})`);
    this.name = "MissingProviderError";
  }
}

/**
 * Runs `load` (a dynamic import of a target's modules) and turns a missing provider
 * package into a MissingProviderError naming the package and version to install.
 */
export async function withProviders<T>(target: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing = /Cannot find module '(@cdktf\/provider-[a-z]+)[/']/.exec((error as Error).message)?.[1];
    if (missing && missing in PROVIDER_PACKAGES) throw new MissingProviderError(missing as ProviderPackage, target);
    throw error;
  }
}
