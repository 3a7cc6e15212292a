// Composes subgraph sets with @theguild/federation-composition for the differential test of
// shopgraph-schema. Reads a JSON array of { name, subgraphs: [{ name, url, sdl }] } on stdin and
// writes one JSON object per set: { name, supergraph, api } or { name, errors: [{ code, message }] }.
import { readFileSync } from "node:fs";
import { parse } from "graphql";
import { composeServices } from "@theguild/federation-composition";

const sets = JSON.parse(readFileSync(0, "utf8"));
const results = sets.map(({ name, subgraphs }) => {
  try {
    const services = subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
    const result = composeServices(services);
    if (result.errors && result.errors.length > 0) {
      return {
        name,
        errors: result.errors.map((e) => ({ code: e.extensions?.code ?? "UNKNOWN", message: e.message })),
      };
    }
    return { name, supergraph: result.supergraphSdl, api: result.publicSdl };
  } catch (error) {
    return { name, errors: [{ code: error?.extensions?.code ?? "INVALID_GRAPHQL", message: String(error?.message ?? error) }] };
  }
});
process.stdout.write(JSON.stringify(results));
