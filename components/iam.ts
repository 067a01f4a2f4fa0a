// IAM helpers shared by the components.

/** A trust policy that lets one AWS service assume the role, and nothing else. */
export function assumeRolePolicyFor(service: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    });
}
