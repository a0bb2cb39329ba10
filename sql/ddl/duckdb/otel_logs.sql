-- Generated from schemas/logs.json by npm run generate; do not edit.
-- The logs layout as a DuckDB table, for loading or querying the same rows locally.
CREATE TABLE otel_logs (
  "event_name" VARCHAR,
  "trace_id" VARCHAR,
  "span_id" VARCHAR,
  "time_unix_nano" BIGINT,
  "observed_time_unix_nano" BIGINT,
  "severity_number" VARCHAR,
  "severity_text" VARCHAR,
  "body" VARCHAR,
  "attributes" MAP(VARCHAR, VARCHAR),
  "dropped_attributes_count" INTEGER,
  "flags" INTEGER,
  "resource" STRUCT("attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER),
  "resource_schema_url" VARCHAR,
  "instrumentation_scope" STRUCT("name" VARCHAR, "version" VARCHAR, "attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER),
  "log_schema_url" VARCHAR
);
