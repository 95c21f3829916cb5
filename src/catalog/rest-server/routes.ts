/**
 * Route matching for the REST catalog server: raw path segments -> the spec's endpoint template, the
 * error scope, the decoded and validated path parameters, and one operation per HTTP method. Spec
 * routes the port cannot serve (register, transactions, views, scan planning, credentials) answer 406
 * so clients raise UnsupportedOperationException instead of a confusing 404.
 */
import type { Namespace, TableIdentifier } from "../catalog.js";
import { type ErrorScope, RestError, unsupported } from "./errors.js";
import { decodeSegment, namespaceParam, tableParam } from "./paths.js";

export type Method = "GET" | "HEAD" | "POST" | "DELETE";

/** Operations the server implements (names used by the handlers). */
export type Operation =
  | "getConfig"
  | "oauthTokens"
  | "listNamespaces"
  | "createNamespace"
  | "loadNamespace"
  | "namespaceExists"
  | "dropNamespace"
  | "updateNamespaceProperties"
  | "listTables"
  | "createTable"
  | "loadTable"
  | "tableExists"
  | "commitTable"
  | "dropTable"
  | "reportMetrics"
  | "renameTable";

export interface Route {
  /** The spec's path template, e.g. `/v1/{prefix}/namespaces/{namespace}`. */
  template: string;
  scope: ErrorScope;
  methods: Partial<Record<Method, Operation>>;
  namespace?: Namespace;
  table?: TableIdentifier;
}

/** `GET /v1/{prefix}/namespaces` style names, as the config `endpoints` list spells them. */
export const ENDPOINTS: ReadonlyArray<readonly [Operation, string]> = [
  ["listNamespaces", "GET /v1/{prefix}/namespaces"],
  ["createNamespace", "POST /v1/{prefix}/namespaces"],
  ["loadNamespace", "GET /v1/{prefix}/namespaces/{namespace}"],
  ["namespaceExists", "HEAD /v1/{prefix}/namespaces/{namespace}"],
  ["dropNamespace", "DELETE /v1/{prefix}/namespaces/{namespace}"],
  ["updateNamespaceProperties", "POST /v1/{prefix}/namespaces/{namespace}/properties"],
  ["listTables", "GET /v1/{prefix}/namespaces/{namespace}/tables"],
  ["createTable", "POST /v1/{prefix}/namespaces/{namespace}/tables"],
  ["loadTable", "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}"],
  ["tableExists", "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}"],
  ["commitTable", "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}"],
  ["dropTable", "DELETE /v1/{prefix}/namespaces/{namespace}/tables/{table}"],
  ["reportMetrics", "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics"],
  ["renameTable", "POST /v1/{prefix}/tables/rename"],
];

function notFound(): RestError {
  return new RestError(404, "NotFoundException", "no such endpoint");
}

function unsupportedRoute(what: string): RestError {
  return unsupported(`${what} is not supported by this catalog server`);
}

const NS = "/v1/{prefix}/namespaces";
const TABLE = `${NS}/{namespace}/tables/{table}`;

/**
 * Matches raw path segments (`["v1", ...]`). With a configured `prefix` every catalog route must carry
 * it as its first segment after `v1`; `/v1/config` and `/v1/oauth/tokens` never do.
 */
export function matchRoute(segments: readonly string[], prefix: string | undefined): Route {
  if (segments[0] !== "v1") throw notFound();
  let rest = segments.slice(1);
  const [a, b] = rest;
  if (rest.length === 1 && a === "config") {
    return { template: "/v1/config", scope: "config", methods: { GET: "getConfig" } };
  }
  if (rest.length === 2 && a === "oauth" && b === "tokens") {
    return { template: "/v1/oauth/tokens", scope: "config", methods: { POST: "oauthTokens" } };
  }
  if (prefix !== undefined) {
    if (a === undefined || decodeSegment(a) !== prefix) throw notFound();
    rest = rest.slice(1);
  }
  const [p0, p1, p2, p3, p4] = rest;
  if (p0 === "tables" && p1 === "rename" && rest.length === 2) {
    return { template: "/v1/{prefix}/tables/rename", scope: "table", methods: { POST: "renameTable" } };
  }
  if (p0 === "transactions") throw unsupportedRoute("a multi-table transaction commit");
  if (p0 === "views") throw unsupportedRoute("views");
  if (p0 !== "namespaces") throw notFound();
  if (p1 === undefined) {
    return { template: NS, scope: "namespace", methods: { GET: "listNamespaces", POST: "createNamespace" } };
  }
  const namespace = namespaceParam(p1);
  if (p2 === undefined) {
    return {
      template: `${NS}/{namespace}`,
      scope: "namespace",
      namespace,
      methods: { GET: "loadNamespace", HEAD: "namespaceExists", DELETE: "dropNamespace" },
    };
  }
  if (p2 === "properties" && rest.length === 3) {
    return {
      template: `${NS}/{namespace}/properties`,
      scope: "namespace",
      namespace,
      methods: { POST: "updateNamespaceProperties" },
    };
  }
  if (p2 === "register") throw unsupportedRoute("registering a table");
  if (p2 === "views" || p2 === "register-view") throw unsupportedRoute("views");
  if (p2 !== "tables") throw notFound();
  if (p3 === undefined) {
    return {
      template: `${NS}/{namespace}/tables`,
      scope: "namespace",
      namespace,
      methods: { GET: "listTables", POST: "createTable" },
    };
  }
  const table = tableParam(namespace, p3);
  if (p4 === undefined) {
    return {
      template: TABLE,
      scope: "table",
      namespace,
      table,
      methods: { GET: "loadTable", HEAD: "tableExists", POST: "commitTable", DELETE: "dropTable" },
    };
  }
  if (p4 === "metrics" && rest.length === 5) {
    return {
      template: `${TABLE}/metrics`,
      scope: "table",
      namespace,
      table,
      methods: { POST: "reportMetrics" },
    };
  }
  if (p4 === "plan" || p4 === "tasks") throw unsupportedRoute("server-side scan planning");
  if (p4 === "credentials") throw unsupportedRoute("loading vended credentials");
  throw notFound();
}
