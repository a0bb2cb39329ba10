-- user_directory: system.directory.users (otlp2delta directory import), one row per listed user.
--
-- user is the lower-cased email, token principal or agent user id the usage
-- views look users up by; empty when the warehouse has no directory.
SELECT "user", display_name, team, department, cost_center, location
FROM {{directory}}
