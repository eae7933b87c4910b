-- Runs once, when the postgres volume is first initialised (docker-entrypoint-initdb.d).
-- One database per service (DESIGN §3), all owned by one unprivileged role; owning the
-- database lets the role create tables in its public schema on PostgreSQL 15 and later.
-- The password is for local use only; docker-compose.yml's DATABASE_URLs must match it.
CREATE ROLE xinsheng LOGIN PASSWORD 'xinsheng';
CREATE DATABASE xinsheng_intake OWNER xinsheng;
CREATE DATABASE xinsheng_routing OWNER xinsheng;
CREATE DATABASE xinsheng_notify OWNER xinsheng;
CREATE DATABASE xinsheng_reports OWNER xinsheng;
CREATE DATABASE xinsheng_companion OWNER xinsheng;
