export type { EmbeddedCatalogOptions } from "./embedded-catalog.js";
export { EmbeddedCatalog, NAMESPACE_MARKER } from "./embedded-catalog.js";
