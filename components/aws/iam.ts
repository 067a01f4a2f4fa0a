// IAM helpers shared by the components.

/** A trust policy that lets one AWS service assume the role, and nothing else. */
export function assumeRolePolicyFor(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}

/**
 * An IAM namePrefix: `base-`, cut to 38 characters (the provider appends a 26-character
 * unique suffix, and a role name may have at most 64).
 */
export function iamNamePrefix(base: string): string {
    return `${base}-`.slice(0, 38);
}
