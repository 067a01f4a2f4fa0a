// Boots policy/ exactly as the Pulumi CLI does for `--policy-pack policy` (the
// @pulumi/pulumi/cmd/run-policy-pack entry point, cwd = the pack, TypeScript through the
// SDK's ts-node with type checking), then speaks the analyzer gRPC protocol to it, the way
// the engine would. Proves the pack starts from the repository without its own npm install.
import { ChildProcess, spawn } from "child_process";
import { createRequire } from "module";
import * as path from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "..", "..");
const load = createRequire(path.join(ROOT, "package.json"));

/* eslint-disable @typescript-eslint/no-explicit-any */
const grpc = load("@grpc/grpc-js") as any;
const pb = load("@pulumi/pulumi/proto/analyzer_pb.js") as any;
const rpc = load("@pulumi/pulumi/proto/analyzer_grpc_pb.js") as any;
const { Struct } = load("google-protobuf/google/protobuf/struct_pb.js") as any;
const { Empty } = load("google-protobuf/google/protobuf/empty_pb.js") as any;

let child: ChildProcess;
let client: any;

function call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

beforeAll(async () => {
    child = spawn(process.execPath, [path.join(ROOT, "node_modules/@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", "."], {
        cwd: path.join(ROOT, "policy"),
        stdio: ["ignore", "pipe", "pipe"],
    });
    const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        child.stdout!.on("data", (d) => {
            out += d;
            const m = /^(\d+)\s*$/m.exec(out);
            if (m) {
                resolve(m[1]);
            }
        });
        child.stderr!.on("data", (d) => (err += d));
        child.on("exit", (code) => reject(new Error(`policy pack exited ${code}: ${out}${err}`)));
    });
    client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 90_000);

afterAll(() => {
    client?.close();
    child?.kill();
});

function analyzeRequest(stack: string, type: string, name: string, props: Record<string, unknown>, protect: boolean) {
    const req = new pb.AnalyzeRequest();
    req.setType(type);
    req.setName(name);
    req.setUrn(`urn:pulumi:${stack}::sentry::sentry:aws:SentryHost$${type}::${name}`);
    req.setProperties(Struct.fromJavaScript(props));
    const opts = new pb.AnalyzerResourceOptions();
    opts.setProtect(protect);
    req.setOptions(opts);
    return req;
}

describe("policy pack under the Pulumi policy runtime", () => {
    it("announces its name, version and every policy", async () => {
        const info = await call<any>("getAnalyzerInfo", new Empty());
        expect(info.getName()).toBe("sentry-aws");
        expect(info.getVersion()).toBe("1.0.0");
        expect(info.getPoliciesList().map((p: any) => p.getName())).toContain("no-public-admin-ingress");
    });

    it("passes a compliant production instance and flags a broken one", async () => {
        const tags = { Name: "sentry-prod-host", Project: "sentry", Stack: "prod", Environment: "production", ManagedBy: "pulumi", SentryProfile: "feature-complete", SentryTls: "alb" };
        const good = {
            instanceType: "m7i.xlarge",
            iamInstanceProfile: "sentry-prod-host-abc",
            metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { encrypted: true },
            tags,
        };
        const ok = await call<any>("analyze", analyzeRequest("prod", "aws:ec2/instance:Instance", "sentry-prod-host", good, true));
        expect(ok.getDiagnosticsList().map((d: any) => d.getMessage())).toEqual([]);

        const bad = { ...good, instanceType: "t3.large", metadataOptions: { httpTokens: "optional" } };
        const res = await call<any>("analyze", analyzeRequest("prod", "aws:ec2/instance:Instance", "sentry-prod-host", bad, false));
        const found = res.getDiagnosticsList().map((d: any) => d.getPolicyname());
        expect(found.sort()).toEqual(["ec2-imdsv2-required", "instance-type-fits-profile", "production-protected"]);
    });

    it("flags SSH opened to the world by two rules of one security group, at the end of the preview", async () => {
        const type = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
        const rule = (n: number, cidrIpv4: string) => {
            const name = `sentry-staging-ssh-${n}`;
            const r = new pb.AnalyzerResource();
            r.setType(type);
            r.setName(name);
            r.setUrn(`urn:pulumi:staging::sentry::sentry:aws:SentryHost$${type}::${name}`);
            const tags = { Name: name, Project: "sentry", Stack: "staging", Environment: "staging", ManagedBy: "pulumi" };
            r.setProperties(Struct.fromJavaScript({ ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4, securityGroupId: "sg-1", tags }));
            r.setOptions(new pb.AnalyzerResourceOptions());
            return r;
        };
        // Each rule alone passes the resource policies; together they are 0.0.0.0/0.
        const alone = await call<any>("analyze", analyzeRequest("staging", type, "sentry-staging-ssh-0", rule(0, "0.0.0.0/1").getProperties().toJavaScript(), false));
        expect(alone.getDiagnosticsList().map((x: any) => x.getPolicyname())).toEqual([]);
        const req = new pb.AnalyzeStackRequest();
        req.setResourcesList([rule(0, "0.0.0.0/1"), rule(1, "128.0.0.0/1")]);
        const res = await call<any>("analyzeStack", req);
        const d = res.getDiagnosticsList();
        expect(d.map((x: any) => x.getPolicyname())).toEqual(["no-public-admin-ingress"]);
        expect(d[0].getMessage()).toMatch(/0\.0\.0\.0\/1 \(sentry-staging-ssh-0\) and 128\.0\.0\.0\/1 \(sentry-staging-ssh-1\) together may reach port 22 from the whole internet/);
        expect(d[0].getUrn()).toBe(`urn:pulumi:staging::sentry::sentry:aws:SentryHost$${type}::sentry-staging-ssh-0`);
    });
});
