-- Generated from schemas/metrics.json by npm run generate; do not edit.
-- The metrics layout as a DuckDB table, for loading or querying the same rows locally.
CREATE TABLE otel_metrics (
  "name" VARCHAR,
  "description" VARCHAR,
  "unit" VARCHAR,
  "metric_type" VARCHAR,
  "gauge" STRUCT("start_time_unix_nano" BIGINT, "time_unix_nano" BIGINT, "value" DOUBLE, "exemplars" STRUCT("time_unix_nano" BIGINT, "value" DOUBLE, "span_id" VARCHAR, "trace_id" VARCHAR, "filtered_attributes" MAP(VARCHAR, VARCHAR))[], "attributes" MAP(VARCHAR, VARCHAR), "flags" INTEGER),
  "sum" STRUCT("start_time_unix_nano" BIGINT, "time_unix_nano" BIGINT, "value" DOUBLE, "exemplars" STRUCT("time_unix_nano" BIGINT, "value" DOUBLE, "span_id" VARCHAR, "trace_id" VARCHAR, "filtered_attributes" MAP(VARCHAR, VARCHAR))[], "attributes" MAP(VARCHAR, VARCHAR), "flags" INTEGER, "aggregation_temporality" VARCHAR, "is_monotonic" BOOLEAN),
  "histogram" STRUCT("start_time_unix_nano" BIGINT, "time_unix_nano" BIGINT, "count" BIGINT, "sum" DOUBLE, "bucket_counts" BIGINT[], "explicit_bounds" DOUBLE[], "exemplars" STRUCT("time_unix_nano" BIGINT, "value" DOUBLE, "span_id" VARCHAR, "trace_id" VARCHAR, "filtered_attributes" MAP(VARCHAR, VARCHAR))[], "attributes" MAP(VARCHAR, VARCHAR), "flags" INTEGER, "min" DOUBLE, "max" DOUBLE, "aggregation_temporality" VARCHAR),
  "exponential_histogram" STRUCT("attributes" MAP(VARCHAR, VARCHAR), "start_time_unix_nano" BIGINT, "time_unix_nano" BIGINT, "count" BIGINT, "sum" DOUBLE, "scale" INTEGER, "zero_count" BIGINT, "positive_bucket" STRUCT("offset" INTEGER, "bucket_counts" BIGINT[]), "negative_bucket" STRUCT("offset" INTEGER, "bucket_counts" BIGINT[]), "flags" INTEGER, "exemplars" STRUCT("time_unix_nano" BIGINT, "value" DOUBLE, "span_id" VARCHAR, "trace_id" VARCHAR, "filtered_attributes" MAP(VARCHAR, VARCHAR))[], "min" DOUBLE, "max" DOUBLE, "zero_threshold" DOUBLE, "aggregation_temporality" VARCHAR),
  "summary" STRUCT("start_time_unix_nano" BIGINT, "time_unix_nano" BIGINT, "count" BIGINT, "sum" DOUBLE, "quantile_values" STRUCT("quantile" DOUBLE, "value" DOUBLE)[], "attributes" MAP(VARCHAR, VARCHAR), "flags" INTEGER),
  "metadata" MAP(VARCHAR, VARCHAR),
  "resource" STRUCT("attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER),
  "resource_schema_url" VARCHAR,
  "instrumentation_scope" STRUCT("name" VARCHAR, "version" VARCHAR, "attributes" MAP(VARCHAR, VARCHAR), "dropped_attributes_count" INTEGER),
  "metric_schema_url" VARCHAR
);
