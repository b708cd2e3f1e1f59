export * from "./roles";
export * from "./agency-kinds";
