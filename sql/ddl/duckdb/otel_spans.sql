-- Generated from schemas/spans.json by npm run generate; do not edit.
-- The spans layout as a DuckDB table, for loading or querying the same rows locally.
CREATE TABLE otel_spans (
  "trace_id" VARCHAR,
  "span_id" VARCHAR,
  "trace_state" VARCHAR,
  "parent_span_id" VARCHAR,
  "flags" INTEGER,
  "name" VARCHAR,
  "kind" VARCHAR,
  "start_time_unix_nano" BIGINT,
  "end_time_unix_nano" BIGINT,
  "attributes" MAP(VARCHAR, VARCHAR),
  "dropped_attributes_count" INTEGER,
  "events" STRUCT("time_unix_nano" BIGINT, "name" VARCHAR, "attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER)[],
  "dropped_events_count" INTEGER,
  "links" STRUCT("trace_id" VARCHAR, "span_id" VARCHAR, "trace_state" VARCHAR, "attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER, "flags" INTEGER)[],
  "dropped_links_count" INTEGER,
  "status" STRUCT("message" VARCHAR, "code" VARCHAR),
  "resource" STRUCT("attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER),
  "resource_schema_url" VARCHAR,
  "instrumentation_scope" STRUCT("name" VARCHAR, "version" VARCHAR, "attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER),
  "span_schema_url" VARCHAR
);
