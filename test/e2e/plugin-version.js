// Prints the version a Pulumi resource provider binary reports over its own gRPC interface
// (GetPluginInfo), using the protobufs and gRPC client that @pulumi/pulumi ships.
// Usage: node plugin-version.js <provider binary>
"use strict";
const { spawn } = require("child_process");
const path = require("path");
const root = path.resolve(__dirname, "../../node_modules");
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [path.join(root, "@pulumi/pulumi")] }));
const services = require(path.join(root, "@pulumi/pulumi/proto/provider_grpc_pb.js"));
const empty = require("google-protobuf/google/protobuf/empty_pb.js");

const child = spawn(process.argv[2], [], { stdio: ["ignore", "pipe", "ignore"] });
const fail = (msg) => { console.error(`plugin-version: ${msg}`); child.kill("SIGKILL"); process.exit(1); };
const timer = setTimeout(() => fail("no answer within 20 s"), 20000);
let out = "";
child.on("error", (e) => fail(e.message));
child.stdout.on("data", (d) => {
    out += d;
    const m = /^(\d+)\s*$/m.exec(out);
    if (!m) return;
    child.stdout.removeAllListeners("data");
    const client = new services.ResourceProviderClient(`127.0.0.1:${m[1]}`, grpc.credentials.createInsecure());
    client.getPluginInfo(new empty.Empty(), (err, info) => {
        clearTimeout(timer);
        if (err) fail(err.message);
        console.log(info.getVersion());
        client.close();
        child.kill("SIGKILL");
        process.exit(0);
    });
});
